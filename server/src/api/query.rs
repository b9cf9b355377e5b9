//! `ApiQuery<T>`: a query string read into `T`, rejected with the error
//! envelope (`invalid_input`, naming the parameter where serde says which)
//! instead of axum's plain-text rejection, so every answer of `/api` is the
//! JSON its OpenAPI document promises.

use super::ApiError;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::BadQuery {
                details: rejection.body_text(),
            }),
        }
    }
}
