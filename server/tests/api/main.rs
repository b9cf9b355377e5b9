//! The server's black-box tests: the real server (`common::TestApp`) over a
//! fresh database per test, driven over HTTP. One test binary with a module
//! per feature, so the server links once for all of them.

mod common;

mod accounts;
mod base_models;
mod charts;
mod costs;
mod cross_site;
mod datasets;
mod exports;
mod exports_http;
mod generation;
mod health;
mod in_use;
mod jobs;
mod jobs_http;
mod jobs_ray;
mod jobs_ray_gpu;
mod jobs_steps;
mod jobs_updates;
mod lists;
mod models;
mod notifications;
mod observability;
mod openai_client;
mod openapi;
mod pages;
mod site;
mod storage_s3;
mod tokens;
mod webhooks;
