// Live notifications for a signed-in person (ws/notifications/). Filled by the readings work.
