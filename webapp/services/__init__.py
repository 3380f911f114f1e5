"""Business logic, free of request globals: views and tasks call these."""
