//! The dashboard in a real browser: Debian's headless Chromium, driven over
//! WebDriver (chromedriver from `chromium-driver`) by a few plain HTTP
//! calls. Logs in, opens the overview (the chart drawn by the vendored
//! uPlot under the strict CSP), filters incidents, lifts a ban, checks what
//! the pages show, the phone layout and Dutch. Screenshots go to
//! `<target>/screenshots/`.
//!
//! Without chromium or chromedriver: a loud SKIP, or a failure with CI=true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::Backend;
use ghostguard_store::BanQuery;
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn tool(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromium: &Path, chromedriver: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut d = Driver {
            child,
            base,
            session: String::new(),
            http,
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1000", "--lang=en-US", "--no-first-run"]
            }
        }}});
        let v = d.call("POST", "/session", Some(caps)).await;
        d.session = v["sessionId"].as_str().expect("a session").to_owned();
        d
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let r = req.timeout(Duration::from_secs(60)).send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "{method} {path}: {v}");
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url}))).await;
    }

    async fn url(&self) -> String {
        self.call("GET", "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("find {css}: {v}"))
            .to_owned()
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self
            .call(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_owned())
            .collect()
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call("GET", &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/click"), None)
            .await;
    }

    async fn type_in(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn script(&self, js: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    async fn wait_for(&self, js: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.script(js).await != Value::Bool(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {js}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, dir: &Path, name: &str) {
        let v = self.call("GET", "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::write(dir.join(name), png).unwrap();
    }

    async fn resize(&self, w: u32, h: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({"width": w, "height": h})),
        )
        .await;
    }
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_see_the_overview_filter_incidents_and_lift_a_ban() {
    let chromium = tool(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let chromedriver = tool(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but chromium/chromedriver are missing (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIP: browser test: chromium or chromedriver missing (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let app = common::app(Backend::Sqlite, "browser").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let shots = screenshot_dir();
    let d = Driver::start(&chromium, &chromedriver).await;

    // Log in: the dashboard sends us to the login page and back.
    d.goto(&format!("{site}/incidents")).await;
    assert!(
        d.url().await.contains("/login?next=/incidents"),
        "{}",
        d.url().await
    );
    d.screenshot(&shots, "01-login.png").await;
    d.type_in("#user-name", common::USER).await;
    d.type_in("#password", common::PASSWORD).await;
    d.click("#login").await;
    d.wait_for("return location.pathname === '/incidents'")
        .await;
    assert_eq!(d.text("#user").await, common::USER);

    // The overview: totals, the chart drawn by uPlot, top sources, phones.
    d.goto(&format!("{site}/")).await;
    d.wait_for("return document.getElementById('chart').dataset.drawn === 'true'")
        .await;
    assert_eq!(
        d.find_all("#chart canvas").await.len(),
        1,
        "uPlot drew no canvas"
    );
    assert!(d.text("#top-sources").await.contains("203.0.113.99"));
    assert!(d.text("#phones").await.contains("192.168.1.21"));
    let active: u64 = d.text("#active-bans-count").await.parse().unwrap();
    assert_eq!(active, 12);
    d.screenshot(&shots, "02-overview.png").await;

    // Incidents: filter by kind and see only that kind.
    d.goto(&format!("{site}/incidents")).await;
    let all = d.find_all("#incidents tbody tr").await.len();
    d.click("#filter-kind option[value='scanner']").await;
    d.click("#filter-apply").await;
    d.wait_for("return location.search.includes('kind=scanner')")
        .await;
    let kinds = d
        .script(
            "return [...document.querySelectorAll('#incidents td.kind')].map(e => e.textContent)",
        )
        .await;
    let kinds: Vec<&str> = kinds
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert!(!kinds.is_empty() && kinds.len() < all, "{kinds:?} of {all}");
    assert!(kinds.iter().all(|k| *k == "scanner"), "{kinds:?}");
    assert!(
        d.text("#incident-summary")
            .await
            .starts_with(&format!("{} incidents", kinds.len()))
    );
    d.type_in("#filter-q", "sipsak").await;
    d.click("#filter-apply").await;
    d.wait_for("return location.search.includes('q=sipsak')")
        .await;
    assert_eq!(d.find_all("#incidents tbody tr").await.len(), 1);
    d.screenshot(&shots, "03-incidents-filtered.png").await;
    // Its detail page shows the SIP messages involved.
    d.click("#incidents tbody tr td a").await;
    d.wait_for("return location.pathname.startsWith('/incidents/')")
        .await;
    assert!(
        d.text("pre.sip")
            .await
            .starts_with("OPTIONS sip:100@[2001:db8::10] SIP/2.0")
    );
    d.screenshot(&shots, "04-incident.png").await;

    // Bans: lift one and see it go, recorded with our name.
    d.goto(&format!("{site}/bans")).await;
    assert!(
        !d.find_all("#bans tr[data-ip='198.51.100.23']")
            .await
            .is_empty()
    );
    d.click("#bans button.lift[data-ip='198.51.100.23']").await;
    d.wait_for("return location.search.includes('done=lifted')")
        .await;
    assert!(d.text("#ban-message").await.contains("198.51.100.23"));
    assert!(d.find_all("#bans tr[data-ip='198.51.100.23']").await.len() < 2);
    d.screenshot(&shots, "05-ban-lifted.png").await;
    let lifted = app
        .store
        .bans(&BanQuery {
            ip: Some("198.51.100.23".parse().unwrap()),
            site: Some("office".into()),
            ..BanQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(lifted[0].lifted_by.as_deref(), Some(common::USER));
    assert!(
        !app.fw
            .lock()
            .unwrap()
            .is_banned("198.51.100.23".parse().unwrap())
    );

    // On a phone: nothing wider than the screen but the scrolling tables.
    d.resize(390, 844).await;
    d.goto(&format!("{site}/")).await;
    d.wait_for("return document.getElementById('chart').dataset.drawn === 'true'")
        .await;
    d.screenshot(&shots, "06-overview-phone.png").await;
    let wide = d
        .script(
            "const w = window.innerWidth; return [...document.querySelectorAll('body *')]\
             .filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > w + 1)\
             .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)",
        )
        .await;
    assert_eq!(wide, json!([]), "wider than a phone screen");
    let fits = d
        .script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(
        fits,
        Value::Bool(true),
        "the overview overflows a phone screen"
    );

    // Dutch.
    d.resize(1280, 1000).await;
    d.click("a[lang='nl']").await;
    d.wait_for("return document.documentElement.lang === 'nl'")
        .await;
    assert_eq!(d.text("nav a[aria-current='page']").await, "Overzicht");
    d.screenshot(&shots, "07-overview-nl.png").await;
    d.call("DELETE", "", None).await;
    eprintln!("screenshots in {}", shots.display());
}
