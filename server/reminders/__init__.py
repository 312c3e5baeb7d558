"""Reminders before classes, and the e-mail that carries them and other notices."""
