//! A planner's PM round trip in the browser: write a plan and watch its preview follow the
//! form, generate, have the technician complete the work order, and see the next due date move
//! to completion + interval.

use super::{Browser, browser_available, click_button, demo_server, login, shots, wait_js};
use chrono::{Duration, NaiveDate};
use serde_json::json;

/// True when the preview lists ten dates, each seven days after the one before.
const WEEKLY_PREVIEW: &str = "(() => { const d = [...document.querySelectorAll('#preview-dates li')]\
    .map(li => Date.parse(li.innerText.match(/\\d{4}-\\d{2}-\\d{2}/)[0]));\
    return d.length === 10 && d.every((x, i) => i === 0 || x - d[i - 1] === 7 * 86400000); })()";

/// The dates ("YYYY-MM-DD") of the list items under `css`.
async fn dates(b: &Browser, css: &str) -> Vec<NaiveDate> {
    let v = b
        .js(
            "return [...document.querySelectorAll(arguments[0])].map(li => li.innerText)",
            json!([css]),
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let t = t.as_str().unwrap();
            let d = t
                .split_whitespace()
                .find(|w| w.len() == 10 && w.as_bytes()[4] == b'-')
                .unwrap_or_else(|| panic!("no date in {t}"));
            NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_writes_a_plan_and_its_next_occurrence_follows_completion() {
    if !browser_available() {
        return;
    }
    let srv = demo_server().await;
    let base = srv.base.clone();
    let shots = shots();
    let b = Browser::start(1280, 900).await;
    login(&b, &base, "planner@demo.overhaul.test").await;

    // 1. The editor: a floating weekly plan; the preview follows each change.
    b.goto(&format!("{base}/pm/plans/new")).await;
    b.wait_text("Next due dates").await;
    b.type_into("#asset", "BER-A1-L1-C1-CO1").await;
    b.type_into("#title", "Belt tension check (browser test)")
        .await;
    b.select("#trigger", "floating").await;
    b.type_into("#every", "7").await;
    b.select("#unit", "days").await;
    b.js(
        "const t = document.querySelector('#at'); t.value = '00:00'; t.dispatchEvent(new Event('change', {bubbles: true}));",
        json!([]),
    )
    .await;
    wait_js(&b, WEEKLY_PREVIEW, "ten previewed due dates a week apart").await;
    let shown = dates(&b, "#preview-dates li").await;
    assert_eq!(shown.len(), 10, "{shown:?}");
    for w in shown.windows(2) {
        assert_eq!(w[1] - w[0], Duration::days(7), "weekly preview: {shown:?}");
    }
    // A bad interval is refused in place, and the preview says why.
    b.type_into("#every", "0").await;
    wait_js(
        &b,
        "document.querySelector('#preview-errors') && document.querySelector('#preview-errors').innerText.includes('every')",
        "the preview naming the bad interval",
    )
    .await;
    b.type_into("#every", "7").await;
    wait_js(&b, WEEKLY_PREVIEW, "the weekly preview back").await;
    // The work follows the published lubrication procedure (30 min, mechanical).
    b.js(
        "const s = document.querySelector('#procedure'); s.value = [...s.options].find(o => o.text.startsWith('LUBE-WEEKLY')).value;",
        json!([]),
    )
    .await;
    b.screenshot(&shots.join("13-pm-plan-editor.png")).await;
    b.click("#plan-form button[type=submit]").await;
    b.wait_text("Occurrences").await;
    wait_js(
        &b,
        "location.pathname.startsWith('/pm/plans/')",
        "the plan page",
    )
    .await;
    let plan_url = b.url().await;
    assert!(b.page_text().await.contains("Nothing generated yet"));

    // 2. Generate: the first occurrence (due today) becomes a work order.
    click_button(&b, "main .actions", "Generate due work now").await;
    wait_js(
        &b,
        "document.querySelector('#generated') !== null",
        "the generation report",
    )
    .await;
    b.goto(&plan_url).await;
    b.wait_text("Occurrences").await;
    let wo = b
        .js(
            "const a = document.querySelector('#occurrences a'); return a ? a.getAttribute('href') : null;",
            json!([]),
        )
        .await;
    let Some(wo) = wo.as_str().map(str::to_owned) else {
        panic!("no generated work order: {}", b.page_text().await);
    };
    b.screenshot(&shots.join("14-pm-plan-generated.png")).await;

    // 3. The planner readies the work; the Berlin technician does it.
    b.goto(&format!("{base}{wo}")).await;
    for (step, after) in [
        ("approve", "approved"),
        ("mark planned", "planned"),
        ("mark ready", "ready"),
        ("schedule", "scheduled"),
    ] {
        click_button(&b, ".card", step).await;
        wait_js(
            &b,
            &format!("document.querySelector('.badge') && document.querySelector('.badge').innerText === '{after}'"),
            after,
        )
        .await;
    }
    login(&b, &base, "tech.ber@demo.overhaul.test").await;
    b.goto(&format!("{base}{wo}")).await;
    b.js("window.confirm = () => true", json!([])).await;
    click_button(&b, ".card", "start").await;
    wait_js(
        &b,
        "document.querySelector('.badge') && document.querySelector('.badge').innerText === 'in progress'",
        "in progress",
    )
    .await;
    // The pinned revision's steps, one result each; the failed one raises a request.
    for (title, value, button, shows) in [
        ("Drive locked out", None, "Done", ""),
        (
            "Grease points free of leaks",
            None,
            "Fail",
            "follow-up request WR-",
        ),
        (
            "Oil level in the sight glass",
            Some("50"),
            "Record",
            "passed",
        ),
        (
            "Done by",
            Some("Tina Technician"),
            "Sign",
            "Tina Technician",
        ),
    ] {
        let ok = b
            .js(
                "const li = [...document.querySelectorAll('#checklist li')].find(l => l.innerText.includes(arguments[0]));\
                 if (!li) return false;\
                 const input = li.querySelector('input[name=value], input[name=name]');\
                 if (arguments[1] !== null) input.value = arguments[1];\
                 const btn = [...li.querySelectorAll('button')].find(x => x.innerText.trim() === arguments[2]);\
                 if (!btn) return false; btn.click(); return true;",
                json!([title, value, button]),
            )
            .await;
        assert_eq!(ok, json!(true), "step {title}: {}", b.page_text().await);
        wait_js(
            &b,
            &format!(
                "[...document.querySelectorAll('#checklist li')].some(l => l.innerText.includes('{title}') && l.querySelector('.result') && l.innerText.includes('{shows}'))"
            ),
            &format!("the result of {title}"),
        )
        .await;
    }
    b.screenshot(&shots.join("14b-pm-checklist.png")).await;
    for (step, after) in [("complete", "completed")] {
        click_button(&b, ".card", step).await;
        wait_js(
            &b,
            &format!("document.querySelector('.badge') && document.querySelector('.badge').innerText === '{after}'"),
            after,
        )
        .await;
    }

    // 4. The next occurrence: a week after the completion.
    login(&b, &base, "planner@demo.overhaul.test").await;
    b.goto(&plan_url).await;
    let page = b.wait_text("Next due dates").await;
    let completed = b
        .js(
            "const dt = [...document.querySelectorAll('dl.facts dt')].find(d => d.innerText === 'Last completed'); return dt.nextElementSibling.innerText;",
            json!([]),
        )
        .await;
    let completed = NaiveDate::parse_from_str(
        completed
            .as_str()
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap(),
        "%Y-%m-%d",
    )
    .unwrap_or_else(|_| panic!("a completion date on the plan page: {page}"));
    let next = dates(&b, "#next-dates li").await;
    assert_eq!(
        next.first().copied(),
        Some(completed + Duration::days(7)),
        "the next due date is completion + 7 days: {page}"
    );
    assert!(
        page.contains("completed"),
        "the occurrence's work order is completed: {page}"
    );
    b.screenshot(&shots.join("15-pm-plan-next.png")).await;

    // 5. The calendar shows the next one, with the week view one click away.
    b.goto(&format!(
        "{base}/pm/calendar?view=week&date={}",
        completed + Duration::days(7)
    ))
    .await;
    b.wait_text("Load per craft").await;
    wait_js(
        &b,
        &format!(
            "document.querySelector('#pm-calendar td[data-date=\"{}\"]').innerText.includes('Belt tension check')",
            completed + Duration::days(7)
        ),
        "the next occurrence in the week view",
    )
    .await;
    // Its estimate shows as mechanical load that day.
    wait_js(
        &b,
        &format!(
            "(() => {{ const m = document.querySelector('#pm-calendar td[data-date=\"{}\"]').innerText.match(/mechanical (\\d+\\.\\d) h/); return m !== null && parseFloat(m[1]) >= 0.5; }})()",
            completed + Duration::days(7)
        ),
        "at least half an hour of mechanical work on the next due day",
    )
    .await;
    assert!(
        b.text("#craft-load").await.contains("mechanical"),
        "the load table lists the craft"
    );
    b.screenshot(&shots.join("16-pm-calendar-week.png")).await;
    b.quit().await;
}
