/* The certificate pages' side of the local signing agent (bidtool agent, docs/agent.md): list the
   agent's certificates, have it sign a one-time challenge of the platform, and send the signature to
   the platform to bind the certificate ("bind") or to log in ("login"). No external assets.
   The root element carries data-mode, data-agent-url and data-purpose. */
(function () {
  "use strict";
  var root = document.getElementById("agent-panel");
  if (!root) { return; }
  var mode = root.dataset.mode;                       // "bind" | "login"
  var agentUrl = root.dataset.agentUrl.replace(/\/+$/, "");
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".agent-form");
  var list = $(".agent-certificates"), result = $(".agent-result");
  var bound = {};                                     // fingerprint → true (bind mode)

  var client = window.EbidClient(agentUrl);
  var say = client.say, errorText = client.errorText, agent = client.agent, platform = client.platform;
  var commonName = client.commonName;
  function canSign(cert) {
    var usage = cert.key_usage || [];
    return usage.indexOf("digitalSignature") >= 0 || usage.indexOf("nonRepudiation") >= 0;
  }
  function render(certs) {
    list.textContent = "";
    var usable = certs.filter(canSign);
    if (!usable.length) {
      say(status, "签名助手已连接，但没有找到可用于签名的证书：请插入 USB Key 后点“重新检测”。", "error");
      return;
    }
    usable.forEach(function (cert, i) {
      var label = document.createElement("label");
      label.className = "cert-option";
      var input = document.createElement("input");
      input.type = "radio"; input.name = "certificate"; input.value = cert.id;
      if (i === 0) { input.checked = true; }
      var text = document.createElement("span");
      var where = cert.location.type === "token" ? "USB Key " + cert.location.token : "密钥文件 " + cert.location.file;
      var lines = [
        ["strong", commonName(cert.subject) + (bound[cert.id] ? "（已绑定）" : "")],
        ["small", (cert.key || cert.key_algorithm).toUpperCase() + " · " + where + " · 签发者 " + commonName(cert.issuer)],
        ["small", "有效期至 " + cert.not_after.slice(0, 10) + " · 序列号 " + cert.serial +
                  (cert.location.locked ? " · 已锁定" : " · PIN 剩余尝试 " + cert.location.pin_tries_left + " 次")]
      ];
      lines.forEach(function (l) {
        var el = document.createElement(l[0]); el.textContent = l[1]; text.appendChild(el);
      });
      label.appendChild(input); label.appendChild(text);
      list.appendChild(label);
    });
    say(status, "签名助手已连接：请选择证书并输入其 PIN 码（密钥文件为其口令）。", "success");
    form.hidden = false;
  }
  function detect() {
    missing.hidden = true; form.hidden = true;
    say(status, "正在连接本机签名助手 " + agentUrl + " …", "info");
    var known = mode === "bind" ? platform("/api/v1/certificates").then(function (r) {
      if (r.ok && r.body) { r.body.forEach(function (s) { bound[s.binding.fingerprint_sha256] = true; }); }
    }) : Promise.resolve();
    known.then(function () { return agent("/v1/info"); }).then(function (info) {
      if (!info.ok || !info.body || info.body.protocol_version !== 1) {
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
  function fileBase64(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1] || ""); };
      reader.onerror = function () { reject({message: "无法读取印章图片文件"}); };
      reader.readAsDataURL(file);
    });
  }
  function submit(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=certificate]:checked");
    var pin = $("input[name=pin]").value;
    if (!chosen) { say(result, "请选择证书", "error"); return; }
    if (!pin) { say(result, "请输入 PIN 码", "error"); return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say(result, mode === "bind" ? "正在签名并绑定…" : "正在签名并登录…", "info");
    var sealFile = mode === "bind" ? $("input[name=seal_image]").files[0] : null;
    var seal = sealFile ? fileBase64(sealFile).then(function (image) {
      return {kind: $("select[name=seal_kind]").value, image: image};
    }) : Promise.resolve(null);
    var challenge;
    platform("/api/v1/challenges", {purpose: root.dataset.purpose}).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "无法取得验证挑战")}; }
      challenge = r.body;
      return agent("/v1/sign", {certificate: chosen.value, pin: pin, data: challenge.message});
    }).then(function (signed) {
      if (!signed.ok) { throw {message: "签名助手：" + errorText(signed.body, "签名失败 (HTTP " + signed.status + ")")}; }
      return seal.then(function (sealBody) {
        if (mode === "bind") {
          return platform("/api/v1/certificates", {challenge: challenge.id, signature: signed.body.signature, seal: sealBody});
        }
        var username = $("input[name=cert_username]").value.trim();
        return platform("/api/v1/session/certificate",
                        {challenge: challenge.id, signature: signed.body.signature, username: username || null});
      });
    }).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台拒绝了请求 (HTTP " + r.status + ")")}; }
      $("input[name=pin]").value = "";
      if (mode === "login") {
        say(result, "登录成功，正在进入我的账户…", "success");
        window.location.assign("/account");
        return;
      }
      bound[r.body.fingerprint_sha256] = true;
      say(result, "证书已绑定：" + commonName(r.body.subject) + (r.body.may_stamp ? "（可用于签章）" : "（仅用于登录和加解密，不能签章）"), "success");
      var link = document.createElement("a"); link.href = "/certificates"; link.textContent = " 查看我的证书";
      result.appendChild(link);
      detect();
    }).catch(function (e) {
      if (e && e.agentDown) {
        say(result, "签名时无法连接签名助手，请确认它仍在运行。", "error");
      } else {
        say(result, (e && e.message) || "操作失败", "error");
      }
    }).then(function () { button.disabled = false; });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
