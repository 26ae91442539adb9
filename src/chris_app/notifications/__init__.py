"""On-device reminders while the app runs (desktop: desktop-notifier)."""
