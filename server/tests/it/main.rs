//! Black-box tests: the real `tessera` binary, real HTTP, SQLite and PostgreSQL.

mod support;

mod cli;
mod coins;
mod concurrency;
mod console;
mod console_screens;
mod consumer;
mod consumer_auth;
mod edge;
mod fuzz;
mod health;
mod images;
mod orders;
mod partner_api;
mod razorpay;
mod retention;
mod security;
mod sso;
mod wallet;
mod webhooks;
