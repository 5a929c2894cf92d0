//! Headless-browser harness: a real Chromium driven through chromedriver (WebDriver), with
//! screenshots and axe-core accessibility checks.
//!
//! `tests/run` installs Chromium and chromedriver from Debian's packages, fetches axe-core from
//! npm into `target/axe-core/`, and exports `TEST_CHROMEDRIVER`, `TEST_CHROMIUM` and
//! `TEST_AXE_JS`. Without a chromedriver the harness fails loudly: a silent skip is a defect.
//!
//! ```ignore
//! let browser = Browser::start().await;
//! browser.goto(&format!("{}/requests/new", app.address)).await;
//! browser.fill("#title", "Renew the certificate").await;
//! browser.submit("form").await;
//! browser.wait_for(".flash").await;
//! browser.screenshot("request-filed").await;
//! browser.axe("request-filed").await;
//! ```

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long `wait_for` (and every helper that looks an element up) waits for it to appear.
const WAIT: Duration = Duration::from_secs(5);
const WINDOW: (u32, u32) = (1280, 900);
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
];

/// How big the page is: a desktop window or a phone's screen, width and height in CSS pixels.
#[derive(Debug, Clone, Copy)]
pub enum Screen {
    Desktop(u32, u32),
    Phone(u32, u32),
}

/// A headless Chromium session. Dropping it kills chromedriver and the browser, pass or fail.
pub struct Browser {
    client: Client,
    _driver: Driver,
}

/// One axe-core rule broken on the page.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    /// "minor", "moderate", "serious" or "critical".
    pub impact: String,
    pub help: String,
    /// CSS selectors of the offending elements.
    pub targets: Vec<String>,
}

impl Violation {
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {} at {}", self.id, self.impact, self.help, self.targets.join(", "))
    }
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium session in a
    /// fresh profile, its page `WINDOW` big.
    pub async fn start() -> Browser {
        Self::start_as(Screen::Desktop(WINDOW.0, WINDOW.1)).await
    }

    /// `start`, with the page as big as `screen`: a desktop window, or a phone's screen as
    /// Chromium's device emulation shows it (the page's `viewport` meta tag honoured, as a
    /// phone's browser does).
    pub async fn start_as(screen: Screen) -> Browser {
        Self::launch(screen, true).await
    }

    /// `start`, with the pages' own scripts turned off (Chromium's content setting), as for a
    /// person who browses without JavaScript; the tests' WebDriver commands still run.
    pub async fn start_without_script() -> Browser {
        Self::launch(Screen::Desktop(WINDOW.0, WINDOW.1), false).await
    }

    async fn launch(screen: Screen, script: bool) -> Browser {
        let chromedriver = env_or("TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        if !Path::new(&chromedriver).is_file() {
            panic!(
                "chromedriver is not at {chromedriver}, so the browser tests cannot run. Run \
                 tests/run (installs Debian's chromium and chromium-driver), or set \
                 TEST_CHROMEDRIVER to a chromedriver."
            );
        }
        let driver = Driver::start(&chromedriver).await;
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        let window = match screen {
            Screen::Desktop(w, h) => (w, h),
            Screen::Phone(..) => WINDOW,
        };
        args.push(format!("--window-size={},{}", window.0, window.1));
        args.push(format!("--user-data-dir={}", driver.dir.path().join("profile").display()));
        let mut options = json!({ "args": args });
        if !script {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        if let Screen::Phone(w, h) = screen {
            options["mobileEmulation"] = json!({ "deviceMetrics": { "width": w, "height": h, "pixelRatio": 1.0, "mobile": true, "touch": true } });
        }
        let chromium = env_or("TEST_CHROMIUM", "/usr/lib/chromium/chromium");
        if Path::new(&chromium).is_file() {
            options["binary"] = json!(chromium);
        }
        let capabilities: Capabilities = serde_json::from_value(json!({
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "timeouts": { "pageLoad": 30_000, "script": 30_000, "implicit": 0 },
        }))
        .unwrap();
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| panic!("Chromium did not start through chromedriver: {e}\n{}", driver.log()));
        // Headless Chromium takes room for a toolbar it does not draw: grow the window so that
        // the page itself (and so every screenshot) is exactly WINDOW.
        let inner = client.execute("return [window.innerWidth, window.innerHeight]", vec![]).await.unwrap();
        let (w, h) = (inner[0].as_u64().unwrap() as u32, inner[1].as_u64().unwrap() as u32);
        if let Screen::Desktop(..) = screen
            && (w, h) != window
        {
            client.set_window_size(2 * window.0 - w, 2 * window.1 - h).await.expect("resize the window");
        }
        Browser { client, _driver: driver }
    }

    /// The underlying WebDriver client, for what the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits until it has loaded.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|e| panic!("could not open {url}: {e}"));
    }

    pub async fn current_url(&self) -> String {
        self.client.current_url().await.expect("current URL").to_string()
    }

    /// The page's current HTML.
    pub async fn html(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// The first element matching `css`, waiting up to 5 s for it to appear.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self.client.wait().at_most(WAIT).for_element(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no element matches `{css}` on {} after waiting {WAIT:?}: {e}", self.current_url().await),
        }
    }

    /// The visible text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("element text")
    }

    /// Clears the field matching `css`, then types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.clear().await.unwrap_or_else(|e| panic!("could not clear `{css}`: {e}"));
        field.send_keys(text).await.unwrap_or_else(|e| panic!("could not type into `{css}`: {e}"));
    }

    /// Chooses the option with `value` in the `<select>` matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let select = self.wait_for(css).await;
        select.select_by_value(value).await.unwrap_or_else(|e| panic!("no option {value:?} in `{css}`: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.unwrap_or_else(|e| panic!("could not click `{css}`: {e}"));
    }

    /// Submits the form matching `css` as a person would: by clicking its first submit button
    /// (or, where it has none, as pressing Enter in it would).
    pub async fn submit(&self, css: &str) {
        let form = self.wait_for(css).await;
        let buttons = "button:not([type]), button[type=submit], input[type=submit], input[type=image]";
        match form.find(Locator::Css(buttons)).await {
            Ok(button) => button.click().await.unwrap_or_else(|e| panic!("could not submit `{css}`: {e}")),
            Err(_) => {
                let form = serde_json::to_value(&form).unwrap();
                self.client
                    .execute("arguments[0].requestSubmit()", vec![form])
                    .await
                    .unwrap_or_else(|e| panic!("could not submit `{css}`: {e}"));
            }
        }
    }

    /// Saves a screenshot of the window to `target/screenshots/<name>.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Runs axe-core on the current page; returns every violation, of any impact.
    pub async fn axe_violations(&self) -> Vec<Violation> {
        let source = std::fs::read_to_string(axe_js()).unwrap();
        self.client.execute(&source, vec![]).await.expect("inject axe-core");
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ["violations"] })
              .then(r => done({ violations: r.violations.map(v => ({
                  id: v.id, impact: v.impact || "unknown", help: v.help,
                  targets: v.nodes.map(n => n.target.flat().join(" >> ")) })) }))
              .catch(e => done({ error: String(e) }));
        "#;
        let result = self.client.execute_async(script, vec![]).await.expect("run axe-core");
        if let Some(error) = result.get("error") {
            panic!("axe-core failed on {}: {error}", self.current_url().await);
        }
        let strings = |v: &Value| v.as_str().unwrap_or_default().to_string();
        result["violations"]
            .as_array()
            .expect("axe-core violations")
            .iter()
            .map(|v| Violation {
                id: strings(&v["id"]),
                impact: strings(&v["impact"]),
                help: strings(&v["help"]),
                targets: v["targets"].as_array().into_iter().flatten().map(strings).collect(),
            })
            .collect()
    }

    /// Asserts that axe-core finds no serious or critical violation on the current page, which
    /// `name` names in the failure message (with a screenshot saved under that name).
    pub async fn axe(&self, name: &str) {
        let serious: Vec<Violation> = self.axe_violations().await.into_iter().filter(Violation::is_serious).collect();
        if !serious.is_empty() {
            let shot = self.screenshot(name).await;
            let list: Vec<String> = serious.iter().map(|v| format!("  - {v}")).collect();
            panic!(
                "axe-core: {} serious or critical accessibility violation(s) on {name} ({}; screenshot {}):\n{}",
                serious.len(),
                self.current_url().await,
                shot.display(),
                list.join("\n")
            );
        }
    }
}

/// The chromedriver process, its log and the browser profile, in one temp dir. Dropping it kills
/// chromedriver and every process under it (Chromium and its helpers).
struct Driver {
    child: Child,
    url: String,
    dir: tempfile::TempDir,
}

impl Driver {
    async fn start(chromedriver: &str) -> Driver {
        // A free port can be taken between our probe and chromedriver's bind: try a few.
        let mut log = String::new();
        for _ in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let out = File::create(dir.path().join("chromedriver.log")).unwrap();
            let child = Command::new(chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().unwrap())
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| panic!("could not start {chromedriver}: {e}"));
            let mut driver = Driver { child, url: format!("http://127.0.0.1:{port}"), dir };
            if driver.wait_until_ready().await {
                return driver;
            }
            log = driver.log();
        }
        panic!("chromedriver did not start, three times over:\n{log}");
    }

    /// Polls chromedriver's status until it is ready (true), or it exits (false).
    async fn wait_until_ready(&mut self) -> bool {
        let status = format!("{}/status", self.url);
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if let Ok(reply) = client.get(&status).send().await
                && let Ok(body) = reply.json::<Value>().await
                && body["value"]["ready"] == true
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not answer on {status} within 20 s:\n{}", self.log());
    }

    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default();
        format!("chromedriver log:\n{log}")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Chromium outlives a killed chromedriver: find everything under it first.
        let under = descendants(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !under.is_empty() {
            let _ =
                Command::new("kill").arg("-KILL").args(under.iter().map(u32::to_string)).stderr(Stdio::null()).status();
        }
    }
}

/// Every process below `root`, from /proc.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let ppid = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(parents.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
        i += 1;
    }
    found.remove(0);
    found
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// axe-core's script: TEST_AXE_JS, or where tests/run caches it.
fn axe_js() -> PathBuf {
    let path =
        std::env::var_os("TEST_AXE_JS").map(PathBuf::from).unwrap_or_else(|| target_dir().join("axe-core/axe.min.js"));
    if !path.is_file() {
        panic!(
            "axe-core is not at {}, so the accessibility check cannot run. Run tests/run (fetches \
             axe-core from npm into target/axe-core/), or set TEST_AXE_JS to an axe.min.js.",
            path.display()
        );
    }
    path
}

/// The harness itself, on pages of its own (the product's pages have their own tests).
mod smoke {
    use super::*;

    /// Writes `body` as an HTML page into `dir`; returns its file:// URL.
    fn page(dir: &Path, name: &str, title: &str, body: &str) -> String {
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body>{body}</body></html>"
        );
        let path = dir.join(format!("{name}.html"));
        std::fs::write(&path, html).unwrap();
        format!("file://{}", path.display())
    }

    const FORM: &str = r#"
        <main>
          <h1>Echo</h1>
          <form id="echo">
            <label for="name">Name</label>
            <input id="name" name="name" value="placeholder">
            <label for="team">Team</label>
            <select id="team" name="team">
              <option value="marketing">Marketing</option>
              <option value="it">IT</option>
            </select>
            <button type="button" id="shout">Shout</button>
            <button>Send</button>
          </form>
          <p id="out">nothing yet</p>
          <p id="sent" hidden>sent</p>
        </main>
        <script>
          const out = document.getElementById("out");
          document.getElementById("shout").addEventListener("click", () => {
            out.textContent = "Hello, " + document.getElementById("name").value.toUpperCase() + "!";
          });
          document.getElementById("echo").addEventListener("submit", event => {
            event.preventDefault();
            setTimeout(() => {
              const sent = document.getElementById("sent");
              sent.textContent = "sent to " + document.getElementById("team").value;
              sent.hidden = false;
            }, 300);
          });
        </script>"#;

    #[tokio::test]
    async fn browser_drives_a_page_and_finds_it_accessible() {
        let dir = tempfile::tempdir().unwrap();
        let url = page(dir.path(), "echo", "Echo", FORM);
        let browser = Browser::start().await;
        browser.goto(&url).await;
        assert_eq!(browser.current_url().await, url);
        assert_eq!(browser.client().title().await.unwrap(), "Echo");

        browser.fill("#name", "ann").await;
        browser.click("#shout").await;
        assert_eq!(browser.text("#out").await, "Hello, ANN!");

        browser.select("#team", "it").await;
        browser.submit("#echo").await;
        // The page answers 300 ms later: wait_for waits for it.
        browser.wait_for("#sent:not([hidden])").await;
        assert_eq!(browser.text("#sent").await, "sent to it");
        assert!(browser.html().await.contains("<h1>Echo</h1>"));

        let shot = browser.screenshot("browser-smoke").await;
        let png = std::fs::read(&shot).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", shot.display());
        // The PNG's IHDR holds the size: the fixed window's.
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), WINDOW);

        browser.axe("browser-smoke").await;
    }

    #[tokio::test]
    async fn browser_axe_check_fails_on_an_inaccessible_page() {
        let dir = tempfile::tempdir().unwrap();
        let body = r#"<main><h1>Broken</h1><input id="q"><img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" width="40" height="40"></main>"#;
        let url = page(dir.path(), "broken", "Broken", body);
        let browser = Browser::start().await;
        browser.goto(&url).await;

        let violations = browser.axe_violations().await;
        let serious: Vec<&str> = violations.iter().filter(|v| v.is_serious()).map(|v| v.id.as_str()).collect();
        assert!(serious.contains(&"label"), "{violations:#?}");
        assert!(serious.contains(&"image-alt"), "{violations:#?}");

        // And `axe` fails, naming each violation.
        let failure = tokio::spawn(async move {
            browser.axe("browser-smoke-broken").await;
        })
        .await
        .expect_err("axe must fail on an inaccessible page");
        let message = failure.into_panic();
        let message = message.downcast_ref::<String>().expect("a panic message");
        assert!(message.contains("image-alt ("), "{message}");
        assert!(message.contains("label ("), "{message}");
        assert!(message.contains("#q"), "{message}");
    }
}
