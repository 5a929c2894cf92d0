//! The connection pool on PostgreSQL: a connection the server closed is replaced at checkout.

use diesel::prelude::*;

use crate::helpers::*;

/// The server closes every connection the service holds (as a restart or a proxy's idle timeout
/// does); a second later, each is asked whether it is alive at checkout, found dead and replaced,
/// so the next requests are answered as if nothing happened.
#[tokio::test]
async fn connections_the_server_closed_are_replaced_at_checkout() {
    let Some(app) = spawn_app(Backend::Postgres).await else { return };
    let cast = app.cast();
    let filed = app.file(&cast.ann, "Before", "the connections close", "content").await;
    let key = filed["key"].as_str().unwrap().to_owned();

    let mut admin = PgConnection::establish(&app.database_url).unwrap();
    let closed: Vec<bool> = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    ))
    .load(&mut admin)
    .unwrap();
    assert!(!closed.is_empty() && closed.iter().all(|c| *c), "the service's connections were closed: {closed:?}");
    // Past the window within which a connection handed out is taken as alive without asking.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let page = app.get("/api/v1/requests", &cast.ian).await.ok();
    assert_eq!(page["items"][0]["key"], key.as_str());
    for _ in 0..3 {
        app.file(&cast.ann, "After", "the connections were replaced", "content").await;
    }
}
