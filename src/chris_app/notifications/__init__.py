"""On-device reminders: on desktops while the app runs (runner, desktop-notifier); on phones
scheduled by the phone itself, in a built app only (phone, flet-notifications)."""
