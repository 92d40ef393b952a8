-- apps:lock / apps:unlock: 1 while the operator holds the app's deploy lock. The CLI refuses
-- every command that would deploy or restart a locked app; dokkud ignores the column and keeps
-- reconciling (and healing) the app.
ALTER TABLE apps ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;
