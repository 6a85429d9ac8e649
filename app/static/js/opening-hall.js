/* The opening hall (开标大厅, docs/opening.md): the page's state comes from GET /api/v1/tenders/<id>/opening
   (embedded at load, polled every 2 s); the countdowns run from the platform's clock (server_time), not the
   computer's. Actions go through the same API: 签到, 异议 and the agency's answers, generating and
   publishing the opening record. A bidder decrypts through the local signing agent (agent-client.js,
   docs/agent.md): release (POST …/opening/release) → agent POST /v1/unwrap with "context" and "sign"
   (the key re-encrypted to the opening certificate and the key-release statement signed) → POST
   …/opening/key. Without an agent the panel says how to start one. No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("opening-hall");
  if (!root) { return; }
  var $ = function (sel) { return root.querySelector(sel); };
  var POLL_MS = 2000, HOUR = 3600000;
  var stateUrl = root.dataset.stateUrl, base = "/api/v1/tenders/" + root.dataset.tenderId + "/opening";
  var state = JSON.parse(document.getElementById("hall-state").textContent);
  var offset = 0;                       // platform clock − this computer's clock, in ms
  var message = $("#hall-message");

  function el(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = text; }
    if (className) { e.className = className; }
    return e;
  }
  function say(target, text, kind) {
    target.textContent = text;
    target.className = target.className.replace(/\bflash(-\w+)?\b/g, "").trim() + " flash" + (kind ? " flash-" + kind : "");
    target.hidden = false;
  }
  function beijing(iso, seconds) {
    if (!iso) { return "—"; }
    var t = new Date(Date.parse(iso) + 8 * HOUR).toISOString();
    return t.slice(0, 10) + " " + t.slice(11, seconds ? 19 : 16);
  }
  function span(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000)), d = Math.floor(s / 86400);
    var hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60].map(function (n) {
      return (n < 10 ? "0" : "") + n;
    }).join(":");
    return (d ? d + " 天 " : "") + hms;
  }
  function money(price, currency) {
    if (price === null || price === undefined) { return "—"; }
    var parts = String(price).split("."), whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = ((parts[1] || "") + "00").slice(0, 2);
    return (currency && currency !== "CNY" ? currency + " " : "¥") + whole + "." + cents;
  }

  /* -- the clock ------------------------------------------------------------------------------------------ */
  var lastPhase = state.phase;
  function tick() {
    var now = Date.now() + offset, opening = Date.parse(state.opening_at), end = Date.parse(state.window_end);
    $("#server-time").textContent = beijing(new Date(now).toISOString(), true) + "（北京时间）";
    var text;
    if (!state.opening_at) { text = "尚未发布开标时间"; }
    else if (now < opening) { text = "距开标还有 " + span(opening - now); }
    else if (now < end) { text = "开标中 · 距解密截止还有 " + span(end - now); }
    else { text = "解密时限已结束"; }
    $("#countdown").textContent = text;
    var due = (now >= opening && lastPhase !== "opening" && now < end) || (now >= end && lastPhase !== "opened");
    if (due && state.opening_at) { lastPhase = now >= end ? "opened" : "opening"; poll(); }
  }

  /* -- rendering ------------------------------------------------------------------------------------------ */
  function render() {
    var v = state.viewer;
    var phase = $("#hall-phase");
    phase.textContent = state.phase_label;
    phase.className = "phase phase-" + state.phase;
    lastPhase = state.phase;
    renderBidder(v);
    renderBids();
    renderResults();
    renderObjections(v);
    renderRecord(v);
  }
  function renderBidder(v) {
    var panel = $("#bidder-panel");
    if (!panel) { return; }
    $("#own-state").textContent = v.own_state_label || "—";
    $("#sign-in-form").hidden = !v.may_sign_in;
    $("#signed-in-note").hidden = !v.signed_in;
    var decrypt = $("#decrypt-panel");
    if (decrypt.hidden === v.may_decrypt) {
      decrypt.hidden = !v.may_decrypt;
      if (v.may_decrypt) { detectAgent(); }
    }
  }
  function renderBids() {
    var summary = $("#bids-summary"), box = $("#bids-box"), body = $("#hall-bids tbody");
    if (state.bids === null) {
      summary.textContent = state.bid_count === null ? "开标前不公开投标人信息。" :
        "已收到投标 " + state.bid_count + " 份，已签到 " + state.signed_in_count + " 家（开标前保密，仅代理机构可见数量）。";
      box.hidden = true;
      return;
    }
    var done = state.bids.filter(function (b) { return b.state === "decrypted"; }).length;
    summary.textContent = "投标 " + state.bids.length + " 份 · 已签到 " + state.signed_in_count + " 家 · 已解密 " + done + " 份";
    body.textContent = "";
    state.bids.forEach(function (b, i) {
      var row = el("tr", null, b.own ? "own" : "");
      row.appendChild(el("td", String(i + 1)));
      row.appendChild(el("td", b.bidder + (b.own ? "（本单位）" : "")));
      row.appendChild(el("td", b.signed_in ? "已签到" : "未签到"));
      var cell = el("td");
      cell.appendChild(el("span", b.state_label, "bid-state bid-state-" + b.state));
      row.appendChild(cell);
      body.appendChild(row);
    });
    box.hidden = !state.bids.length;
  }
  function renderResults() {
    var box = $("#results-box"), body = $("#hall-results tbody");
    if (state.results === null) { $("#results-waiting").hidden = false; box.hidden = true; return; }
    $("#results-waiting").hidden = true;
    body.textContent = "";
    state.results.forEach(function (r, i) {
      var row = el("tr");
      function cell(label, text, className) {       // the value in a box of its own: one grid cell on a phone
        var td = el("td", null, className), box = el("div", text);
        td.dataset.label = label;
        td.appendChild(box);
        row.appendChild(td);
        return box;
      }
      cell("序号", String(i + 1), "seq");
      var who = cell("投标人", null, "bidder");
      who.appendChild(el("strong", r.bidder));
      who.appendChild(el("small", "统一社会信用代码 " + r.credit_code, "muted block"));
      cell("投标报价", money(r.price, r.currency), "price");
      cell("解密结果", r.state_label);
      var items = cell("开标一览表内容", null, "items");
      r.items.forEach(function (item) { items.appendChild(el("div", item.name + "：" + item.value, "item")); });
      if (!r.items.length) { items.textContent = "—"; }
      body.appendChild(row);
    });
    box.hidden = false;
  }
  function renderObjections(v) {
    var list = $("#objections");
    $("#no-objections").hidden = state.objections.length > 0;
    state.objections.forEach(function (o) {
      var item = document.getElementById("objection-" + o.seq);
      if (!item) {
        item = el("li", null, "objection");
        item.id = "objection-" + o.seq;
        var head = el("p", null, "objection-head");
        head.appendChild(el("strong", "第 " + o.seq + " 号异议 · " + o.by + (o.own ? "（本单位）" : "")));
        head.appendChild(el("span", " " + beijing(o.raised_at, true), "muted"));
        item.appendChild(head);
        item.appendChild(el("p", o.text, "pre-line objection-text"));
        list.appendChild(item);
      }
      var answer = item.querySelector(".objection-answer");
      if (o.answer !== null && !answer) {
        var form = item.querySelector(".answer-form");
        if (form) { form.remove(); }
        answer = el("div", null, "objection-answer");
        answer.appendChild(el("strong", "代理机构答复（" + beijing(o.answered_at, true) + "）"));
        answer.appendChild(el("p", o.answer, "pre-line"));
        item.appendChild(answer);
      } else if (o.answer === null && v.may_answer && !item.querySelector(".answer-form")) {
        item.appendChild(answerForm(o.seq));
      }
    });
    $("#objection-form").hidden = !v.may_object;
  }
  function answerForm(seq) {
    var form = el("form", null, "stacked answer-form");
    form.noValidate = true;
    var field = el("div", null, "field");
    var label = el("label", "答复第 " + seq + " 号异议");
    label.htmlFor = "answer-" + seq;
    var text = el("textarea");
    text.id = "answer-" + seq; text.name = "text"; text.rows = 2; text.maxLength = 1000;
    field.appendChild(label); field.appendChild(text);
    form.appendChild(field);
    var button = el("button", "提交答复");
    button.type = "submit";
    form.appendChild(button);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      act(base + "/objections/" + seq + "/answer", {text: text.value}, "答复已提交。", button);
    });
    return form;
  }
  function renderRecord(v) {
    var r = state.record, text, links = $("#record-links");
    if (!r) {
      text = state.phase === "opened" ? "开标记录表待代理机构生成并签章。" : "解密时限结束后生成开标记录表，由代理机构签章后公布。";
    } else if (r.published_at) {
      text = "开标记录已于 " + beijing(r.published_at, true) + " 公布。";
    } else {
      text = r.stamped ? "开标记录表已签章，待代理机构公布。" : "开标记录表已生成，待代理机构签章。";
    }
    $("#record-state").textContent = text;
    links.textContent = "";
    if (r && r.record_url) {
      var a = el("a", r.published_at ? "开标记录表（已签章 PDF）" : "查看开标记录表");
      a.href = r.record_url; a.id = "record-link"; a.target = "_blank"; a.rel = "noopener";
      links.appendChild(a);
    }
    if (r && r.transcript_url) {
      var t = el("a", "开标过程记录（平台签名，含时间戳）");
      t.href = r.transcript_url; t.id = "transcript-link";
      links.appendChild(t);
    }
    $("#make-record").hidden = !(v.may_make_record && !r);
    $("#publish-opening").hidden = !v.may_publish;
    var needsPanel = v.role === "agency" && r && !r.stamped && !r.published_at;
    var panel = document.getElementById("stamp-panel");
    var shown = panel && panel.dataset.document;
    if (needsPanel ? shown !== r.document : Boolean(shown)) {
      window.location.reload();        // the stamp panel is drawn by the server, for the current record only
    }
  }

  /* -- the platform --------------------------------------------------------------------------------------- */
  var csrf = null;
  function api(path, body) {
    var ready = csrf || body === undefined ? Promise.resolve(csrf) :
      fetch("/api/v1/csrf", {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (b) { csrf = b.csrf_token; return csrf; });
    return ready.then(function (token) {
      var options = {credentials: "same-origin", headers: {"Accept": "application/json"}};
      if (body !== undefined) {
        options.method = "POST";
        options.headers["Content-Type"] = "application/json";
        options.headers["X-CSRFToken"] = token;
        options.body = JSON.stringify(body);
      }
      return fetch(path, options).then(function (response) {
        return response.text().then(function (text) {
          var parsed = null;
          try { parsed = text ? JSON.parse(text) : null; } catch (e) { parsed = null; }
          return {ok: response.ok, status: response.status, body: parsed};
        });
      });
    });
  }
  function errorText(body, fallback) {
    return body && body.error && body.error.message ? body.error.message + " [" + body.error.code + "]" : fallback;
  }
  var polling = false;
  function poll() {
    if (polling) { return Promise.resolve(); }
    polling = true;
    var sent = Date.now();
    return api(stateUrl).then(function (r) {
      if (!r.ok || !r.body) { return; }
      offset = Date.parse(r.body.server_time) - (sent + Date.now()) / 2;
      state = r.body;
      render();
      tick();
    }).catch(function () { /* the next poll tries again */ }).then(function () { polling = false; });
  }
  function act(path, body, done, button) {
    if (button) { button.disabled = true; }
    return api(path, body).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "操作未完成 (HTTP " + r.status + ")")}; }
      say(message, done, "success");
      return poll();
    }).catch(function (e) {
      say(message, (e && e.message) || "无法连接平台，请稍后重试。", "error");
    }).then(function () { if (button) { button.disabled = false; } });
  }

  var signIn = $("#sign-in-form");
  if (signIn) {
    signIn.addEventListener("submit", function (event) {
      event.preventDefault();
      act(base + "/sign-in", {}, "签到成功。", $("#sign-in-button"));
    });
  }
  $("#objection-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = $("#objection-text");
    if (!text.value.trim()) { say(message, "请填写异议内容。", "error"); return; }
    act(base + "/objections", {text: text.value}, "异议已提交，请等待代理机构答复。",
        event.target.querySelector("button")).then(function () {
      if (message.className.indexOf("flash-success") >= 0) { text.value = ""; }
    });
  });
  $("#make-record").addEventListener("click", function (event) {
    act(base + "/record", {}, "开标记录表已生成，请签章。", event.target).then(function () {
      if (state.record) { window.location.reload(); }
    });
  });
  $("#publish-opening").addEventListener("click", function (event) {
    act(base + "/publication", {}, "开标记录和开标过程记录已公布。", event.target);
  });

  /* -- the bidder's decryption through the agent --------------------------------------------------------------- */
  var panel = $("#decrypt-panel"), client = null, agentCerts = [];
  function detectAgent() {
    if (!panel || !window.EbidClient) { return; }
    client = client || window.EbidClient(panel.dataset.agentUrl);
    client.detect({status: panel.querySelector(".agent-status"), missing: panel.querySelector(".agent-missing"),
                   hide: [panel.querySelector(".decrypt-form")], capabilities: ["unwrap", "unwrap-sign"], onReady: renderAgent,
                   unsupported: "签名助手版本过旧，不支持开标解密 (the agent cannot unwrap)"});
  }
  function renderAgent(certs) {
    var bound = JSON.parse(document.getElementById("signing-bindings").textContent || "[]");
    var form = panel.querySelector(".decrypt-form"), status = panel.querySelector(".agent-status");
    agentCerts = certs;
    var decrypting = client.usableFor(certs, "decrypt");
    var signing = client.usableFor(certs, "sign").filter(function (c) { return bound.indexOf(c.id) >= 0; });
    panel.querySelector(".decrypt-certificates").textContent = "签名助手中的加密证书：" + (decrypting.length ?
      decrypting.map(function (c) { return client.commonName(c.subject); }).join("、") : "无") + "（平台按投标文件所加密的证书自动选用）";
    client.renderCertificates(panel.querySelector(".sign-certificates"), signing,
                              {name: "sign-certificate", className: "cert-option sign-option", brief: true});
    form.hidden = false;
    var ok = decrypting.length && signing.length;
    form.querySelector("button[type=submit]").disabled = !ok;
    client.say(status, ok ? "签名助手已连接：请选择签署密钥释放声明的签名证书，输入 PIN 码后解密。" :
      (decrypting.length ? "签名助手中没有绑定到本单位的签名证书，不能签署密钥释放声明。" : "签名助手中没有加密证书。"),
      ok ? "success" : "error");
  }
  function decrypt(event) {
    event.preventDefault();
    var form = event.target, result = panel.querySelector(".decrypt-result");
    var chosen = form.querySelector("input[name=sign-certificate]:checked"), pin = form.querySelector("input[name=pin]");
    var button = client.begin(form, result, [[chosen, "请选择签名证书"], [pin.value, "请输入 PIN 码"]], "正在取得本单位投标的解密数据…");
    if (!button) { return; }
    var released;
    api(base + "/release", {}).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台拒绝了解密请求 (HTTP " + r.status + ")")}; }
      released = r.body;
      var ids = agentCerts.map(function (c) { return c.id; });
      var ri = released.recipient_infos.filter(function (x) { return ids.indexOf(x.certificate_sha256) >= 0; })[0];
      if (!ri) { throw {message: "签名助手中没有本投标文件所加密的证书，请插入加密时使用的 USB Key 后重新检测。"}; }
      client.say(result, "请稍候：USB Key 正在解开密钥并签署密钥释放声明…", "info");
      return client.agent("/v1/unwrap", {certificate: ri.certificate_sha256, pin: pin.value,
        recipient_info: ri.recipient_info, transport_certificate: released.opening_certificate,
        context: released.context, sign: {certificate: chosen.value, pin: pin.value}});
    }).then(function (unwrapped) {
      pin.value = "";
      if (!unwrapped.ok) { throw {message: "签名助手：" + client.errorText(unwrapped.body, "解密失败 (HTTP " + unwrapped.status + ")")}; }
      client.say(result, "正在提交给平台解密…", "info");
      return api(base + "/key", {bid: released.bid, envelope: unwrapped.body.envelope,
                                 statement: unwrapped.body.statement, signature: unwrapped.body.signature});
    }).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台未能解密 (HTTP " + r.status + ")")}; }
      client.say(result, "解密成功：本单位的投标文件已解密，报价将在解密时限结束后唱标公布。", "success");
      form.hidden = true;
      return poll();
    }).catch(function (e) {
      client.failure(result, "解密失败", "解密时无法连接签名助手，请确认它仍在运行。")(e);
      button.disabled = false;
    });
  }
  if (panel) {
    panel.querySelector(".decrypt-form").addEventListener("submit", decrypt);
    panel.querySelector(".agent-retry").addEventListener("click", detectAgent);
  }

  offset = Date.parse(state.server_time) - Date.now();
  render();
  tick();
  window.setInterval(tick, 1000);
  window.setInterval(poll, POLL_MS);
})();
