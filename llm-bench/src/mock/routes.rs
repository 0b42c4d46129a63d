//! The axum router of the simulated endpoint: the server's own routes (its model list, the
//! 404 of unknown paths) and every registered dialect's.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{Method, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::api_error::ApiError;
use super::dialect::{model_object, models_body, openai_error_body, DialectWriter, DIALECTS};
use super::respond::{self, json_response, unix_now, Incoming};
use super::state::Shared;
use super::written::Connection;

/// The largest request body accepted (64 MiB: long-context prompts fit).
const BODY_LIMIT: usize = 64 << 20;

/// The router of a server with this state.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new()
        .route("/v1/models", get(list_models))
        // Gemini's `POST /v1/models/{target}` shares this route (and its parameter's name).
        .route("/v1/models/{target}", get(retrieve_model));
    for dialect in DIALECTS {
        router = dialect.add_routes(router);
    }
    router
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(shared)
}

/// `router` with a `POST` route for each of `dialect`'s paths.
pub(crate) fn add_dialect<D: DialectWriter>(
    dialect: &'static D,
    mut router: Router<Arc<Shared>>,
) -> Router<Arc<Shared>> {
    for &path in D::PATHS {
        let handler = move |State(shared): State<Arc<Shared>>,
                            ConnectInfo(connection): ConnectInfo<Connection>,
                            param: Option<Path<String>>,
                            RawQuery(query): RawQuery,
                            body: Bytes| async move {
            let incoming = Incoming {
                path,
                param: param.map(|Path(p)| p),
                query,
                body,
                conn: connection.writes,
            };
            respond::answer(dialect, shared, incoming).await
        };
        router = router.route(path, post(handler));
    }
    router
}

/// `GET /v1/models`: the server's model, in OpenAI's shape.
async fn list_models(State(shared): State<Arc<Shared>>) -> Response {
    json_response(
        200,
        models_body(std::slice::from_ref(&shared.model), unix_now()),
    )
}

/// `GET /v1/models/{id}`: the server's model, or OpenAI's 404.
async fn retrieve_model(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if id == shared.model {
        json_response(200, model_object(&id, unix_now()).to_string())
    } else {
        let error = ApiError {
            status: 404,
            message: format!("The model '{id}' does not exist"),
            kind: "invalid_request_error",
            code: "model_not_found",
        };
        json_response(404, openai_error_body(&error))
    }
}

/// Any other path: OpenAI's 404.
async fn unknown_route(method: Method, uri: Uri) -> Response {
    let error = ApiError {
        status: 404,
        message: format!("Unknown request URL: {method} {}.", uri.path()),
        kind: "invalid_request_error",
        code: "unknown_url",
    };
    json_response(404, openai_error_body(&error))
}
