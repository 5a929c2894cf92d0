//! Files on requests: uploaded as multipart (on their own or with a comment), typed by their
//! content, listed and streamed back only to who may read the comment they came with, limits
//! answered 413 or 422 naming the file, and nothing left behind by a refused upload.

use changedesk::domain::Role;
use diesel::prelude::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::*;
use crate::on_both_backends;

/// A 1×1 PNG, followed by `extra` bytes of padding (still a PNG by its signature).
fn png(extra: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    bytes.extend((0..extra).map(|i| (i % 251) as u8));
    bytes
}

fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

/// Posts a multipart form to the API; the status, the JSON body, and the raw headers.
async fn upload(app: &TestApp, path: &str, token: &str, form: Form) -> (u16, Value) {
    let resp =
        app.client.post(format!("{}{path}", app.address)).bearer_auth(token).multipart(form).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn download(app: &TestApp, id: &str, token: &str) -> reqwest::Response {
    app.client.get(format!("{}/api/v1/attachments/{id}", app.address)).bearer_auth(token).send().await.unwrap()
}

/// Rows in the two attachment tables: nothing staged may outlive a refused upload.
fn stored(app: &TestApp) -> (i64, i64) {
    use changedesk::db::schema::{attachment_chunks, attachments};
    let mut conn = app.pool.get().unwrap();
    let files = attachments::table.count().get_result(&mut *conn).unwrap();
    let chunks = attachment_chunks::table.count().get_result(&mut *conn).unwrap();
    (files, chunks)
}

on_both_backends! {
    async fn files_are_read_back_only_by_who_may_read_their_comment(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "New hero image", "For the spring campaign", "content").await;
        app.file(&cast.bob, "Bob's own", "x", "bug").await;
        let form = Form::new()
            .part("file", file("hero.png", png(10)))
            .part("file", file("redirects.csv", b"old,new\n/a,/b\n".to_vec()));
        let (status, added) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, form).await;
        assert_eq!(status, 201, "{added}");
        let kinds: Vec<(&str, &str, i64)> = added.as_array().unwrap().iter()
            .map(|a| (a["name"].as_str().unwrap(), a["content_type"].as_str().unwrap(), a["size"].as_i64().unwrap())).collect();
        assert_eq!(kinds, [("hero.png", "image/png", 43), ("redirects.csv", "text/csv", 14)]);
        assert_eq!(added[0]["uploader"]["email"], "ann@example.org");
        let png_id = added[0]["id"].as_str().unwrap().to_owned();
        let csv_id = added[1]["id"].as_str().unwrap().to_owned();

        // The requester and staff list them; another requester may not.
        assert_eq!(app.get("/api/v1/requests/CR-1/attachments", &cast.ian).await.ok().as_array().unwrap().len(), 2);
        app.get("/api/v1/requests/CR-1/attachments", &cast.bob).await.assert_error(403, "forbidden");
        let history = app.get("/api/v1/requests/CR-1", &cast.ann).await.ok();
        let added_event = history["events"].as_array().unwrap().iter().find(|e| e["type"] == "files_added").unwrap();
        assert_eq!(added_event["data"]["files"], serde_json::json!(["hero.png", "redirects.csv"]));

        // Downloads: the same bytes, never sniffed or run; a raster image inline, the rest attachments.
        let got = download(&app, &png_id, &cast.ian).await;
        assert_eq!(got.status(), 200);
        let header = |name: &str| got.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some("image/png"));
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert!(header("content-security-policy").unwrap().starts_with("sandbox"));
        assert_eq!(header("content-disposition").as_deref(), Some("inline; filename=\"hero.png\""));
        assert_eq!(got.bytes().await.unwrap().to_vec(), png(10));
        let csv = download(&app, &csv_id, &cast.ann).await;
        assert_eq!(csv.headers()["content-disposition"], "attachment; filename=\"redirects.csv\"");
        assert_eq!(download(&app, &png_id, &cast.bob).await.status(), 404, "not bob's request");

        // An internal note's file is the staff's alone.
        let note = Form::new().text("comment", "The CDN invoice, for us").text("internal", "true")
            .part("file", file("invoice.pdf", b"%PDF-1.7\n%internal\n".to_vec()));
        let (status, noted) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.mia, note).await;
        assert_eq!(status, 201, "{noted}");
        assert_eq!((noted[0]["internal"].as_bool(), noted[0]["content_type"].as_str()), (Some(true), Some("application/pdf")));
        let secret = noted[0]["id"].as_str().unwrap().to_owned();
        assert_eq!(app.get("/api/v1/requests/CR-1/attachments", &cast.ann).await.ok().as_array().unwrap().len(), 2);
        assert_eq!(download(&app, &secret, &cast.ann).await.status(), 404);
        assert_eq!(download(&app, &secret, &cast.ian).await.status(), 200);
        let comment = app.get("/api/v1/requests/CR-1", &cast.ian).await.ok()["events"].as_array().unwrap().iter()
            .find(|e| e["type"] == "commented").unwrap().clone();
        assert_eq!(noted[0]["event_id"], comment["id"], "filed with its comment");
        // Staff of another team may not add to a request that is not theirs.
        let (status, _) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ian,
            Form::new().part("file", file("x.txt", b"x".to_vec()))).await;
        assert_eq!(status, 403, "CR-1 is marketing's");
        assert_eq!(stored(&app).0, 3, "the refused file was not kept");
    }

    async fn a_file_is_typed_by_its_content_and_refusals_leave_nothing(app: TestApp) {
        let cast = app.cast();
        app.file(&cast.ann, "Landing page", "x", "content").await;
        // HTML that claims to be a PNG.
        let fake = Form::new().part("file", file("hero.png", b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec()).mime_str("image/png").unwrap());
        let (status, body) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, fake).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["fields"]["file"].as_str().unwrap().starts_with("'hero.png' is text/html, which is not accepted"), "{body}");
        assert_eq!(stored(&app), (0, 0));
        // An SVG is kept, and only ever downloaded.
        let svg = Form::new().part("file", file("logo.svg", b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec()));
        let (status, body) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, svg).await;
        assert_eq!((status, body[0]["content_type"].as_str()), (201, Some("image/svg+xml")));
        let got = download(&app, body[0]["id"].as_str().unwrap(), &cast.ann).await;
        assert_eq!(got.headers()["content-disposition"], "attachment; filename=\"logo.svg\"");
        // Not multipart at all.
        let reply = app.post("/api/v1/requests/CR-1/attachments", &cast.ann, serde_json::json!({ "file": "x" })).await;
        reply.assert_error(415, "unsupported_media_type");
        // A `file` that is not a file, and a field the form does not have: refused, nothing kept.
        let (status, body) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, Form::new().text("file", "{}")).await;
        assert_eq!((status, body["error"]["fields"]["file"].as_str()), (422, Some("must be a file (a part with a filename)")));
        let extra = Form::new().part("file", file("a.txt", b"a".to_vec())).text("sneaky", "x");
        let (status, body) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, extra).await;
        assert_eq!((status, body["error"]["fields"]["sneaky"].as_str()), (422, Some("is not a field of this form")));
        let odd = Form::new().part("file", file("a.txt", b"a".to_vec())).text("comment", "hi").text("internal", "null");
        let (status, _) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, odd).await;
        assert_eq!(status, 422);
        assert_eq!(stored(&app), (1, 1), "only the SVG");
        // No file chosen.
        let (status, body) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, Form::new().text("comment", "hi")).await;
        assert_eq!((status, body["error"]["fields"]["file"].as_str()), (422, Some("choose at least one file")));
        // A file larger than a chunk comes back whole, in order.
        let big = png(700 * 1024);
        let (status, body) = upload(&app, "/api/v1/requests/CR-1/attachments", &cast.ann, Form::new().part("file", file("big.png", big.clone()))).await;
        assert_eq!(status, 201);
        assert_eq!(stored(&app).1, 1 + 3, "the SVG's chunk and the big file's three");
        assert_eq!(download(&app, body[0]["id"].as_str().unwrap(), &cast.ian).await.bytes().await.unwrap().to_vec(), big);
    }
}

async fn limits_name_the_file_and_the_limit(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |s| {
        s.attachments.max_file_bytes = 1024 * 1024;
        s.attachments.max_upload_bytes = 1536 * 1024;
        s.attachments.max_files = 3;
        s.attachments.chunk_bytes = 64 * 1024;
    })
    .await
    else {
        return;
    };
    let cast = app.cast();
    app.file(&cast.ann, "Landing page", "x", "content").await;
    let path = "/api/v1/requests/CR-1/attachments";
    // Over the file limit after several chunks were staged: 413, and they are gone.
    let (status, body) =
        upload(&app, path, &cast.ann, Form::new().part("file", file("huge.png", png(1100 * 1024)))).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["message"], "'huge.png' is over the limit of 1 MiB a file");
    assert_eq!(stored(&app), (0, 0));
    // Over the upload's limit with the second file: the first goes too.
    let two = Form::new().part("file", file("a.png", png(900 * 1024))).part("file", file("b.png", png(900 * 1024)));
    let (status, body) = upload(&app, path, &cast.ann, two).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (413, Some("these files are over the limit of 1 MiB at once"))
    );
    assert_eq!(stored(&app), (0, 0));
    // Too many files.
    let many = (0..4).fold(Form::new(), |f, i| f.part("file", file(&format!("{i}.txt"), b"x".to_vec())));
    let (status, body) = upload(&app, path, &cast.ann, many).await;
    assert_eq!((status, body["error"]["fields"]["file"].as_str()), (422, Some("at most 3 files at once")));
    assert_eq!(stored(&app), (0, 0));

    // A staged file never attached is swept once it is older than the settings allow.
    let actor = changedesk::auth::Actor {
        id: changedesk::db::user_by_email(&mut app.pool.get().unwrap(), "ann@example.org").unwrap().unwrap().id,
        email: "ann@example.org".into(),
        name: "ann".into(),
        role: Role::Requester,
        teams: vec![],
        timezone: None,
    };
    let mut conn = app.pool.get().unwrap();
    let limits = &app.settings.attachments;
    changedesk::service::attachments::stage(&mut conn, &actor, limits, "left.txt", b"left behind", app.clock.now())
        .unwrap();
    let sweep = |minutes: i64| {
        let at = app.clock.now() + chrono::TimeDelta::minutes(minutes);
        changedesk::service::attachments::sweep(&mut app.pool.get().unwrap(), limits, at).unwrap()
    };
    assert_eq!(sweep(30), 0, "still within its hour");
    assert_eq!(sweep(61), 1);
    drop(conn);
    assert_eq!(stored(&app), (0, 0));
}

#[tokio::test]
async fn limits_name_the_file_and_the_limit_on_sqlite() {
    limits_name_the_file_and_the_limit(Backend::Sqlite).await
}

#[tokio::test]
async fn limits_name_the_file_and_the_limit_on_postgres() {
    limits_name_the_file_and_the_limit(Backend::Postgres).await
}

on_both_backends! {
    async fn the_request_page_takes_files_with_a_comment_and_shows_thumbnails(app: TestApp) {
        use crate::pages::{Visitor, person};
        person(&app, "ann@example.org", Role::Requester, &[]);
        person(&app, "bob@example.org", Role::Requester, &[]);
        let ann_token = {
            let mut conn = app.pool.get().unwrap();
            changedesk::service::users::create_token(&mut conn, "ann@example.org", "test", app.clock.now()).unwrap().1
        };
        app.file(&ann_token, "New hero image", "For the spring campaign", "content").await;
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let page = ann.get("/requests/CR-1").await;
        assert!(page.body.contains("enctype=\"multipart/form-data\"") && page.body.contains("name=\"file\" type=\"file\" multiple"));
        let csrf = page.csrf();
        let post = |csrf: String| {
            Form::new().text("csrf", csrf).text("body", "Here is the new hero").part("file", file("hero.png", png(10)))
        };
        let sent = ann.send(ann.client.post(format!("{}/requests/CR-1/comment", ann.base)).multipart(post(csrf))).await;
        assert_eq!(sent.location.as_deref(), Some("/requests/CR-1?done=commented"), "{}", sent.body);
        let page = ann.get("/requests/CR-1?done=commented").await;
        let id = app.get("/api/v1/requests/CR-1/attachments", &ann_token).await.ok()[0]["id"].as_str().unwrap().to_owned();
        assert!(page.body.contains(&format!("<img src=\"/attachments/{id}\" alt=\"hero.png\" class=\"thumb\"")), "{}", page.body);
        assert!(page.body.contains(&format!("aria-label=\"Files with this message\"><li><a href=\"/attachments/{id}\">hero.png</a>")));
        let got = ann.get(&format!("/attachments/{id}")).await;
        assert_eq!((got.status.as_u16(), got.headers["content-type"].to_str().unwrap()), (200, "image/png"));
        let mut bob = Visitor::new(&app);
        bob.sign_in("bob@example.org").await;
        assert_eq!(bob.get(&format!("/attachments/{id}")).await.status.as_u16(), 404);
        // Without the session's token: refused, and the file it carried is not kept.
        let before = stored(&app);
        let forged = ann.send(ann.client.post(format!("{}/requests/CR-1/comment", ann.base)).multipart(post("forged".into()))).await;
        assert_eq!(forged.status.as_u16(), 403);
        assert_eq!(stored(&app), before);
    }
}

/// A real 40×30 PNG (a browser decodes it for the thumbnail).
fn picture() -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, 40, 30);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..40 * 30).flat_map(|i| [(i % 256) as u8, 120, 200]).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

on_both_backends! {
    async fn the_request_form_files_a_request_with_its_files_or_keeps_none(app: TestApp) {
        use crate::pages::{Visitor, person};
        person(&app, "ann@example.org", Role::Requester, &[]);
        let mut ann = Visitor::new(&app);
        ann.sign_in("ann@example.org").await;
        let page = ann.get("/requests/new").await;
        assert!(page.body.contains("enctype=\"multipart/form-data\"") && page.body.contains("id=\"files\" name=\"file\" type=\"file\" multiple"));
        let csrf = page.csrf();
        let form = |title: &str| {
            Form::new().text("csrf", csrf.clone()).text("title", title.to_owned()).text("description", "See the screenshot")
                .text("category", "content").text("action", "file")
                .part("file", file("screenshot.png", picture())).part("file", file("copy.txt", b"New headline".to_vec()))
        };
        // Refused (no title): the form comes back, and the files are not kept.
        let refused = ann.send(ann.client.post(format!("{}/requests/new", ann.base)).multipart(form(""))).await;
        assert_eq!(refused.status.as_u16(), 422);
        assert!(refused.body.contains("choose them again"), "{}", refused.body);
        assert_eq!(stored(&app), (0, 0));
        // Filed: both files are the request's, attached in its transaction.
        let filed = ann.send(ann.client.post(format!("{}/requests/new", ann.base)).multipart(form("New hero image"))).await;
        assert_eq!(filed.location.as_deref(), Some("/requests/CR-1?done=filed"), "{}", filed.body);
        let page = ann.get("/requests/CR-1?done=filed").await;
        assert!(page.body.contains("alt=\"screenshot.png\" class=\"thumb\""), "{}", page.body);
        assert!(page.body.contains(">copy.txt</a>"));
        let token = {
            let mut conn = app.pool.get().unwrap();
            changedesk::service::users::create_token(&mut conn, "ann@example.org", "test", app.clock.now()).unwrap().1
        };
        let files = app.get("/api/v1/requests/CR-1/attachments", &token).await.ok();
        let seen: Vec<(&str, &str, &Value)> = files.as_array().unwrap().iter()
            .map(|f| (f["name"].as_str().unwrap(), f["content_type"].as_str().unwrap(), &f["event_id"])).collect();
        assert_eq!(seen, [("screenshot.png", "image/png", &Value::Null), ("copy.txt", "text/plain", &Value::Null)]);
    }
}

#[tokio::test]
async fn a_marketer_files_a_request_with_a_screenshot_and_sees_its_thumbnail() {
    use crate::browser::Browser;
    use crate::journey::{check_page, eventually, sign_in, url};
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    crate::pages::person(&app, "ann@example.org", Role::Requester, &[]);
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("broken-checkout.png");
    std::fs::write(&shot, picture()).unwrap();
    let ann = Browser::start().await;
    sign_in(&ann, &app, "ann@example.org").await;
    ann.goto(&url(&app, "/requests/new")).await;
    ann.fill("#title", "The checkout shows the old prices").await;
    ann.fill("#description", "See the screenshot").await;
    ann.click("input[name=category][value=bug]").await;
    ann.wait_for("#files").await.send_keys(&shot.display().to_string()).await.unwrap();
    // The script previews the chosen image before anything is sent.
    eventually("the chosen image previewed", || async {
        let shown = ann
            .client()
            .execute("const i = document.querySelector('#file-previews img'); return i ? i.naturalWidth : 0", vec![])
            .await;
        match shown.ok().and_then(|w| w.as_u64()) {
            Some(40) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    ann.click("button[value=file]").await;
    ann.wait_for("img.thumb").await;
    // Loaded lazily: in view, the thumbnail is the screenshot, decoded.
    eventually("the thumbnail", || async {
        let script = "const i = document.querySelector('img.thumb'); i.scrollIntoView(); return [i.complete, i.naturalWidth, i.alt]";
        let shown = ann.client().execute(script, vec![]).await.map_err(|e| e.to_string())?;
        if shown == serde_json::json!([true, 40, "broken-checkout.png"]) { Ok(()) } else { Err(shown.to_string()) }
    })
    .await;
    check_page(&ann, "request-with-files").await;
}

on_both_backends! {
    async fn the_api_files_a_request_with_its_files_as_multipart(app: TestApp) {
        let cast = app.cast();
        let form = |title: &str| {
            Form::new().text("title", title.to_owned()).text("description", "The copy for the landing page")
                .text("category", "content").text("priority", "P2").part("file", file("copy.txt", b"Spring is here".to_vec()))
        };
        let (status, body) = upload(&app, "/api/v1/requests", &cast.ann, form("")).await;
        assert_eq!((status, body["error"]["fields"]["title"].is_string()), (422, true), "{body}");
        assert_eq!(stored(&app), (0, 0), "a refused filing keeps no file");
        let (status, filed) = upload(&app, "/api/v1/requests", &cast.ann, form("Landing page copy")).await;
        assert_eq!(status, 201, "{filed}");
        assert_eq!((filed["key"].as_str(), filed["priority"].as_str()), (Some("CR-1"), Some("P2")));
        let files = app.get("/api/v1/requests/CR-1/attachments", &cast.mia).await.ok();
        assert_eq!((files[0]["name"].as_str(), files[0]["size"].as_i64()), (Some("copy.txt"), Some(14)));
        // JSON still files as before.
        app.file(&cast.ann, "Another", "x", "content").await;
    }
}
