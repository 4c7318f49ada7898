-- A partner's webview theme (SPEC §6): design tokens as JSON, checked by the
-- server before they are stored (core/src/theme.rs).
ALTER TABLE partners ADD COLUMN theme TEXT NOT NULL DEFAULT '{}';
