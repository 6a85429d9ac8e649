/* Stamping a document (电子签章) through the local signing agent (bidtool agent, docs/agent.md):
   list the agent's certificates, keep those bound to this party that may stamp (main key with a
   seal issued for this platform: R4, R6, R22; the page lists them with their seal images), have the
   platform prepare the stamp (POST /api/v1/documents/<id>/stamp-sessions → the digest to sign),
   have the agent sign that digest with the token, and send the signature back
   (POST /api/v1/stamp-sessions/<id>/signature), which embeds it with a timestamp. Uses
   agent-client.js. No external assets. The root element carries data-document and data-agent-url. */
(function () {
  "use strict";
  var root = document.getElementById("stamp-panel");
  if (!root) { return; }
  var publicId = root.dataset.document;
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".stamp-form");
  var list = $(".stamp-certificates"), unusable = $(".stamp-unusable"), result = $(".stamp-result");
  var candidates = [];
  try { candidates = JSON.parse(document.getElementById("stamp-candidates").textContent || "[]"); } catch (e) { candidates = []; }
  var bound = {};
  candidates.forEach(function (c) { bound[c.fingerprint] = c; });

  var client = window.EbidClient(root.dataset.agentUrl);
  var say = client.say, errorText = client.errorText, agent = client.agent, platform = client.platform;

  function render(certs) {
    unusable.textContent = "";
    var usable = client.usableFor(certs, "sign").filter(function (cert) {
      var binding = bound[cert.id];
      if (binding && !binding.refusal) { return true; }
      var item = document.createElement("li");
      item.textContent = client.commonName(cert.subject) + "：" +
                         (binding ? binding.refusal : "未绑定到本单位，不能签章（请先在“我的证书”中绑定）");
      unusable.appendChild(item);
      return false;
    });
    unusable.hidden = !unusable.childNodes.length;
    client.renderCertificates(list, usable, {name: "binding", className: "cert-option stamp-option", brief: true,
      value: function (cert) { return bound[cert.id].binding_id; },
      suffix: function (cert) { return " · " + (bound[cert.id].seal_kind || "印章"); },
      decorate: function (label, input, cert) {
        var binding = bound[cert.id];
        input.dataset.certificate = cert.id;
        if (binding.seal) {
          var img = document.createElement("img");
          img.className = "seal-thumb"; img.alt = binding.seal_kind || "印章";
          img.src = "data:image/png;base64," + binding.seal;
          label.appendChild(img);
        }
      }});
    if (!usable.length) {
      say(status, "签名助手中没有可用于签章的证书：须为已绑定到本单位、加载了印章的本平台专用签名证书（主锁）。", "error");
      form.hidden = !unusable.childNodes.length;
      form.querySelector("button[type=submit]").disabled = true;
      return;
    }
    form.querySelector("button[type=submit]").disabled = false;
    say(status, "签名助手已连接：请选择加盖的印章并输入该证书的 PIN 码。", "success");
    form.hidden = false;
  }
  function detect() {
    client.detect({status: status, missing: missing, hide: [form], capabilities: ["sign-digest"], onReady: render,
                   unsupported: "签名助手版本过旧，不支持按摘要签名 (the agent cannot sign a digest)"});
  }
  function submit(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=binding]:checked");
    var pinInput = $("input[name=pin]");
    var button = client.begin(form, result, [[chosen, "请选择要加盖的印章"], [pinInput.value, "请输入 PIN 码"]],
                              "平台正在准备签章…");
    if (!button) { return; }
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
      client.failure(result, "签章失败")(e);
      button.disabled = false;
    });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
