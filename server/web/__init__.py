"""The classroom in the browser: static pages and ES modules served by the app itself."""
