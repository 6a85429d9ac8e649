/* Account and password recovery with a bound certificate (R20, templates/auth/recover.html): list
   the local agent's signing certificates, have the agent sign a one-time "login" challenge of the
   platform, and send the signature to POST /api/v1/recovery/accounts (the party's user names);
   then, with a fresh challenge signed by the same certificate, to POST /api/v1/recovery/password
   (a new password). The PIN is asked for each signature and never kept. No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("recovery-panel");
  if (!root) { return; }
  var agentUrl = root.dataset.agentUrl.replace(/\/+$/, "");
  var minPassword = parseInt(root.dataset.minPassword, 10) || 10;
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing");
  var accountsForm = $("#recover-accounts-form"), list = $(".agent-certificates");
  var accountsResult = $("#accounts-result"), recovered = $("#recovered"), names = $("#recovered-accounts");
  var resetSection = $("#reset-password"), resetForm = $("#reset-password-form"), resetResult = $("#reset-result");
  var chosenCertificate = null;

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
      [["strong", commonName(cert.subject)],
       ["small", (cert.key || cert.key_algorithm).toUpperCase() + " · " + where + " · 签发者 " + commonName(cert.issuer)],
       ["small", "有效期至 " + cert.not_after.slice(0, 10) + " · 序列号 " + cert.serial +
                 (cert.location.locked ? " · 已锁定" : " · PIN 剩余尝试 " + cert.location.pin_tries_left + " 次")]
      ].forEach(function (l) {
        var el = document.createElement(l[0]); el.textContent = l[1]; text.appendChild(el);
      });
      label.appendChild(input); label.appendChild(text);
      list.appendChild(label);
    });
    say(status, "签名助手已连接：请选择已绑定到本单位的证书并输入其 PIN 码（密钥文件为其口令）。", "success");
    accountsForm.hidden = false;
  }
  function detect() {
    missing.hidden = true; accountsForm.hidden = true;
    say(status, "正在连接本机签名助手 " + agentUrl + " …", "info");
    agent("/v1/info").then(function (info) {
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
  /* A fresh "login" challenge of the platform, signed by the agent: {challenge, signature}. */
  function signedChallenge(certificate, pin) {
    var challenge;
    return platform("/api/v1/challenges", {purpose: "login"}).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "无法取得验证挑战")}; }
      challenge = r.body;
      return agent("/v1/sign", {certificate: certificate, pin: pin, data: challenge.message});
    }).then(function (signed) {
      if (!signed.ok) { throw {message: "签名助手：" + errorText(signed.body, "签名失败 (HTTP " + signed.status + ")")}; }
      return {challenge: challenge.id, signature: signed.body.signature};
    });
  }
  function failed(el) {
    return function (e) {
      say(el, e && e.agentDown ? "签名时无法连接签名助手，请确认它仍在运行。" : (e && e.message) || "操作失败", "error");
    };
  }
  function findAccounts(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=certificate]:checked");
    var pin = $("#recover-pin");
    if (!chosen) { say(accountsResult, "请选择证书", "error"); return; }
    if (!pin.value) { say(accountsResult, "请输入 PIN 码", "error"); return; }
    var button = accountsForm.querySelector("button[type=submit]");
    button.disabled = true;
    say(accountsResult, "正在签名并查找本单位的账户…", "info");
    signedChallenge(chosen.value, pin.value).then(function (proof) {
      return platform("/api/v1/recovery/accounts", proof);
    }).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台拒绝了请求 (HTTP " + r.status + ")")}; }
      chosenCertificate = chosen.value;
      names.textContent = "";
      var select = $("#reset-username");
      select.textContent = "";
      r.body.usernames.forEach(function (name) {
        var item = document.createElement("li"); item.textContent = name; names.appendChild(item);
        var option = document.createElement("option"); option.value = name; option.textContent = name;
        select.appendChild(option);
      });
      say(accountsResult, "证书验证通过：找到 " + r.body.usernames.length + " 个账户。记住账户名即可用口令登录；忘记口令请在下方设置新口令。", "success");
      recovered.hidden = false;
      resetSection.hidden = false;
    }).catch(failed(accountsResult)).then(function () { pin.value = ""; button.disabled = false; });
  }
  function resetPassword(event) {
    event.preventDefault();
    var username = $("#reset-username").value, password = $("#new-password").value;
    var pin = $("#reset-pin");
    if (!chosenCertificate || !username) { say(resetResult, "请先完成第一步", "error"); return; }
    if (password.length < minPassword) { say(resetResult, "新口令至少 " + minPassword + " 个字符", "error"); return; }
    if (password !== $("#confirm-password").value) { say(resetResult, "两次输入的新口令不一致", "error"); return; }
    if (!pin.value) { say(resetResult, "请输入 PIN 码", "error"); return; }
    var button = resetForm.querySelector("button[type=submit]");
    button.disabled = true;
    say(resetResult, "正在签名并重置口令…", "info");
    signedChallenge(chosenCertificate, pin.value).then(function (proof) {
      proof.username = username;
      proof.new_password = password;
      return platform("/api/v1/recovery/password", proof);
    }).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台拒绝了请求 (HTTP " + r.status + ")")}; }
      resetForm.reset();
      resetForm.hidden = true;
      say(resetResult, "账户 " + r.body.username + " 的口令已重置，请用新口令登录。", "success");
      var link = document.createElement("a"); link.href = "/login"; link.textContent = " 去登录";
      resetResult.appendChild(link);
    }).catch(failed(resetResult)).then(function () { pin.value = ""; button.disabled = false; });
  }
  accountsForm.addEventListener("submit", findAccounts);
  resetForm.addEventListener("submit", resetPassword);
  $(".agent-retry").addEventListener("click", detect);
  detect();
}());
