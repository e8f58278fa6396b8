//! A person created through the API: the fixture of the persons' and consents' modules.

use relais_tests::TestApp;
use serde_json::Value;

/// A person created by `token`'s caller on a service of its own.
pub struct CreatedPerson {
    pub app: TestApp,
    /// The token of the agent who created the person.
    pub token: String,
    pub id: String,
    /// The creation's answer.
    pub created: Value,
}

impl CreatedPerson {
    /// `body` created by the worker `alice`.
    pub async fn new(body: Value) -> CreatedPerson {
        CreatedPerson::by("worker", "alice", body).await
    }

    /// `body` created by the agent `subject` with `role`.
    pub async fn by(role: &str, subject: &str, body: Value) -> CreatedPerson {
        let app = TestApp::spawn().await;
        let token = app.token(role, subject);
        let person = app.create_person(&token, body).await;
        CreatedPerson {
            id: person["id"].as_str().unwrap().to_owned(),
            created: person,
            app,
            token,
        }
    }

    /// A merge patch of the person at `version`, as `token`.
    pub async fn patch_as(&self, token: &str, version: i64, body: &Value) -> reqwest::Response {
        self.app.patch(&self.path(""), token, version, body).await
    }

    /// The person's path, followed by `rest` (`""`, `/consents`, `?reveal=nir&reason=…`).
    pub fn path(&self, rest: &str) -> String {
        format!("/v1/persons/{}{rest}", self.id)
    }
}
