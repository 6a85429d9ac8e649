/* Stamping a document (电子签章) through the local signing agent (bidtool agent, docs/agent.md):
   list the agent's certificates, keep those bound to this party that may stamp (main key with a
   seal issued for this platform: R4, R6, R22; the page lists them with their seal images), have the
   platform prepare the stamp (POST /api/v1/documents/<id>/stamp-sessions → the digest to sign),
   have the agent sign that digest with the token, and send the signature back
   (POST /api/v1/stamp-sessions/<id>/signature), which embeds it with a timestamp. No external
   assets. The root element carries data-document and data-agent-url. */
(function () {
  "use strict";
  var root = document.getElementById("stamp-panel");
  if (!root) { return; }
  var agentUrl = root.dataset.agentUrl.replace(/\/+$/, "");
  var publicId = root.dataset.document;
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".stamp-form");
  var list = $(".stamp-certificates"), unusable = $(".stamp-unusable"), result = $(".stamp-result");
  var candidates = [];
  try { candidates = JSON.parse(document.getElementById("stamp-candidates").textContent || "[]"); } catch (e) { candidates = []; }
  var bound = {};
  candidates.forEach(function (c) { bound[c.fingerprint] = c; });

  var client = window.EbidClient(agentUrl);
  var say = client.say, errorText = client.errorText, agent = client.agent, platform = client.platform;
  var commonName = client.commonName;

  function canSign(cert) {
    var usage = cert.key_usage || [];
    return usage.indexOf("digitalSignature") >= 0 || usage.indexOf("nonRepudiation") >= 0;
  }
  function line(tag, text) { var el = document.createElement(tag); el.textContent = text; return el; }
  function render(certs) {
    list.textContent = ""; unusable.textContent = "";
    var usable = [];
    certs.filter(canSign).forEach(function (cert) {
      var binding = bound[cert.id];
      if (binding && !binding.refusal) { usable.push([cert, binding]); return; }
      var why = binding ? binding.refusal : "未绑定到本单位，不能签章（请先在“我的证书”中绑定）";
      unusable.appendChild(line("li", commonName(cert.subject) + "：" + why));
    });
    unusable.hidden = !unusable.childNodes.length;
    if (!usable.length) {
      say(status, "签名助手中没有可用于签章的证书：须为已绑定到本单位、加载了印章的本平台专用签名证书（主锁）。", "error");
      form.hidden = !unusable.childNodes.length;
      form.querySelector("button[type=submit]").disabled = true;
      return;
    }
    usable.forEach(function (pair, i) {
      var cert = pair[0], binding = pair[1];
      var label = document.createElement("label");
      label.className = "cert-option stamp-option";
      var input = document.createElement("input");
      input.type = "radio"; input.name = "binding"; input.value = binding.binding_id; input.dataset.certificate = cert.id;
      if (i === 0) { input.checked = true; }
      var text = document.createElement("span");
      var where = cert.location.type === "token" ? "USB Key " + cert.location.token : "密钥文件 " + cert.location.file;
      text.appendChild(line("strong", commonName(cert.subject) + " · " + (binding.seal_kind || "印章")));
      text.appendChild(line("small", (cert.key || cert.key_algorithm).toUpperCase() + " · " + where));
      text.appendChild(line("small", "有效期至 " + cert.not_after.slice(0, 10) +
        (cert.location.locked ? " · 已锁定" : " · PIN 剩余尝试 " + cert.location.pin_tries_left + " 次")));
      label.appendChild(input); label.appendChild(text);
      if (binding.seal) {
        var img = document.createElement("img");
        img.className = "seal-thumb"; img.alt = binding.seal_kind || "印章";
        img.src = "data:image/png;base64," + binding.seal;
        label.appendChild(img);
      }
      list.appendChild(label);
    });
    form.querySelector("button[type=submit]").disabled = false;
    say(status, "签名助手已连接：请选择加盖的印章并输入该证书的 PIN 码。", "success");
    form.hidden = false;
  }
  function detect() {
    missing.hidden = true; form.hidden = true;
    say(status, "正在连接本机签名助手 " + agentUrl + " …", "info");
    agent("/v1/info").then(function (info) {
      var caps = (info.body && info.body.capabilities) || [];
      if (!info.ok || info.body.protocol_version !== 1 || caps.indexOf("sign-digest") < 0) {
        throw {message: errorText(info.body, "签名助手版本过旧，不支持按摘要签名 (the agent cannot sign a digest)")};
      }
      return agent("/v1/certificates");
    }).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "签名助手拒绝了请求 (HTTP " + r.status + ")")}; }
      render(r.body.certificates || []);
    }).catch(function (e) {
      if (e && e.agentDown) {
        say(status, "无法连接本机签名助手（" + agentUrl + "）：它没有运行，或浏览器未允许本网站访问本机。", "error");
        missing.hidden = false;
      } else {
        say(status, (e && e.message) || "签名助手出错", "error");
      }
    });
  }
  function submit(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=binding]:checked");
    var pinInput = $("input[name=pin]");
    if (!chosen) { say(result, "请选择要加盖的印章", "error"); return; }
    if (!pinInput.value) { say(result, "请输入 PIN 码", "error"); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(result, "平台正在准备签章…", "info");
    var session;
    platform("/api/v1/documents/" + encodeURIComponent(publicId) + "/stamp-sessions",
             {binding_id: Number(chosen.value)}).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台无法准备签章 (HTTP " + r.status + ")")}; }
      session = r.body;
      say(result, "请稍候：签名助手正在用 USB Key 签名…", "info");
      return agent("/v1/sign", {certificate: chosen.dataset.certificate, pin: pinInput.value,
                                digest: session.digest, digest_algorithm: session.digest_algorithm, pades: true});
    }).then(function (signed) {
      pinInput.value = "";
      if (!signed.ok) { throw {message: "签名助手：" + errorText(signed.body, "签名失败 (HTTP " + signed.status + ")")}; }
      say(result, "正在加盖印章和时间戳…", "info");
      return platform("/api/v1/stamp-sessions/" + session.id + "/signature", {signature: signed.body.signature});
    }).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台未接受签章 (HTTP " + r.status + ")")}; }
      say(result, "签章成功：已生成第 " + r.body.seq + " 版文件。", "success");
      window.setTimeout(function () { window.location.reload(); }, 900);
    }).catch(function (e) {
      if (e && e.agentDown) {
        say(result, "签名时无法连接签名助手，请确认它仍在运行。", "error");
      } else {
        say(result, (e && e.message) || "签章失败", "error");
      }
      button.disabled = false;
    });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
