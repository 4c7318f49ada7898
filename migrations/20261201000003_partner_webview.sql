-- A partner's webview settings (SPEC §13): default language, time zone and
-- support contact, as JSON checked by the server before it is stored
-- (core/src/webview.rs).
ALTER TABLE partners ADD COLUMN webview TEXT NOT NULL DEFAULT '{}';
