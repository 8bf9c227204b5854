"""The desktop app (PySide6). Nothing below here holds logic the CLI or server would need."""
