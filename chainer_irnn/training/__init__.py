"""Training policy: presets, the trainer set-up, extensions and converters."""
