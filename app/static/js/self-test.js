/* The encryption/decryption self-test (加解密测试, R11): list the local agent's encryption
   certificates, ask the platform to seal random data to the chosen one (POST /api/v1/self-test),
   have the agent unwrap the content key with the token and re-encrypt it to the platform's transport
   certificate (/v1/unwrap), and post that to POST /api/v1/self-test/<id>. Every failure is said as
   the agent or the platform said it. No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("self-test-panel");
  if (!root) { return; }
  var agentUrl = root.dataset.agentUrl.replace(/\/+$/, "");
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".agent-form");
  var list = $(".agent-certificates"), result = $(".agent-result");
  var certificates = {};                              // agent id → certificate (base64 DER)

  var client = window.EbidClient(agentUrl);
  var say = client.say, errorText = client.errorText, agent = client.agent, platform = client.platform;
  var commonName = client.commonName;
  function canDecrypt(cert) {
    var usage = cert.key_usage || [];
    return usage.indexOf("keyEncipherment") >= 0 || usage.indexOf("keyAgreement") >= 0 ||
           usage.indexOf("dataEncipherment") >= 0;
  }
  function render(certs) {
    list.textContent = "";
    certificates = {};
    var usable = certs.filter(canDecrypt);
    if (!usable.length) {
      say(status, "签名助手已连接，但没有找到加密证书：请插入 USB Key 后点“重新检测”。", "error");
      return;
    }
    usable.forEach(function (cert, i) {
      certificates[cert.id] = cert.certificate;
      var label = document.createElement("label");
      label.className = "cert-option";
      var input = document.createElement("input");
      input.type = "radio"; input.name = "certificate"; input.value = cert.id;
      if (i === 0) { input.checked = true; }
      var text = document.createElement("span");
      var where = cert.location.type === "token" ? "USB Key " + cert.location.token : "密钥文件 " + cert.location.file;
      var expired = new Date(cert.not_after) < new Date();
      var lines = [
        ["strong", commonName(cert.subject)],
        ["small", (cert.key || cert.key_algorithm).toUpperCase() + " · " + where + " · 签发者 " + commonName(cert.issuer)],
        ["small", "有效期至 " + cert.not_after.slice(0, 10) + (expired ? "（已过期）" : "") + " · 序列号 " + cert.serial +
                  (cert.location.locked ? " · 已锁定" : " · PIN 剩余尝试 " + cert.location.pin_tries_left + " 次")]
      ];
      lines.forEach(function (l) {
        var el = document.createElement(l[0]); el.textContent = l[1]; text.appendChild(el);
      });
      label.appendChild(input); label.appendChild(text);
      list.appendChild(label);
    });
    say(status, "签名助手已连接：请选择加密证书并输入其 PIN 码（密钥文件为其口令）。", "success");
    form.hidden = false;
  }
  function detect() {
    missing.hidden = true; form.hidden = true;
    say(status, "正在连接本机签名助手 " + agentUrl + " …", "info");
    agent("/v1/info").then(function (info) {
      if (!info.ok || !info.body || info.body.protocol_version !== 1 ||
          (info.body.capabilities || []).indexOf("unwrap") < 0) {
        throw {message: errorText(info.body, "签名助手的协议版本不受支持 (unsupported agent protocol)")};
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
    var chosen = root.querySelector("input[name=certificate]:checked");
    var pinInput = $("input[name=pin]");
    if (!chosen) { say(result, "请选择证书", "error"); return; }
    if (!pinInput.value) { say(result, "请输入 PIN 码", "error"); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(result, "正在进行加解密测试…", "info");
    var test;
    platform("/api/v1/self-test", {certificate: certificates[chosen.value]}).then(function (r) {
      if (!r.ok) { throw {message: "平台拒绝了测试：" + errorText(r.body, "HTTP " + r.status)}; }
      test = r.body;
      return agent("/v1/unwrap", {certificate: chosen.value, pin: pinInput.value,
                                  recipient_info: test.recipient_info, transport_certificate: test.transport_certificate});
    }).then(function (unwrapped) {
      pinInput.value = "";
      if (!unwrapped.ok) {
        throw {message: "签名助手：" + errorText(unwrapped.body, "解密失败 (HTTP " + unwrapped.status + ")")};
      }
      return platform("/api/v1/self-test/" + encodeURIComponent(test.id), {envelope: unwrapped.body.envelope});
    }).then(function (r) {
      if (!r.ok) { throw {message: "平台：" + errorText(r.body, "HTTP " + r.status)}; }
      if (r.body.ok) {
        say(result, "数字证书加解密测试成功：" + commonName(r.body.subject), "success");
      } else {
        say(result, "数字证书加解密测试失败：" + r.body.message + " [" + r.body.outcome + "]", "error");
      }
      detect();
    }).catch(function (e) {
      if (e && e.agentDown) {
        say(result, "无法连接签名助手，请确认它仍在运行。", "error");
      } else {
        say(result, (e && e.message) || "测试失败", "error");
      }
    }).then(function () { button.disabled = false; });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
