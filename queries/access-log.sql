-- The access log (table `access_log`, queries/privacy-schema.sql): appended
-- after every command that read or changed the warehouse, printed by
-- `ndtms-stats log`.

-- name: append
INSERT INTO access_log (logged_at, os_user, command, arguments, inputs, outputs, outcome, detail)
VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?);

-- name: read
-- Oldest first; parameter: how many of the latest entries (NULL: all).
SELECT strftime(logged_at, '%Y-%m-%d %H:%M:%S') AS logged_at, os_user, command, arguments, inputs, outputs, outcome, detail
FROM (SELECT *, row_number() OVER (ORDER BY logged_at DESC) AS age FROM access_log)
WHERE ? IS NULL OR age <= ?
ORDER BY logged_at, age DESC;
