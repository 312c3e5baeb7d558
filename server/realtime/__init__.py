"""The real-time classroom over Socket.IO."""
