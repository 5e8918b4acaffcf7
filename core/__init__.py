"""Pure domain: documents → tasks → deadlines → digests. No Telegram, database or logging imports."""
