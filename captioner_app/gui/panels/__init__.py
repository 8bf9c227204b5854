"""The window's panels: each is its own widget that shows part of the session and asks it to act.

A panel takes no reference to the main window: it gets what it shows through methods (or the session's
signals, connected by the window) and says what the user asked for through its own signals.
"""
