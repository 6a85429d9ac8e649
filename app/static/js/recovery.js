/* Account and password recovery with a bound certificate (R20, templates/auth/recover.html): list
   the local agent's signing certificates, have the agent sign a one-time "login" challenge of the
   platform, and send the signature to POST /api/v1/recovery/accounts (the party's user names);
   then, with a fresh challenge signed by the same certificate, to POST /api/v1/recovery/password
   (a new password). The PIN is asked for each signature and never kept. Uses agent-client.js.
   No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("recovery-panel");
  if (!root) { return; }
  var minPassword = parseInt(root.dataset.minPassword, 10) || 10;
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing");
  var accountsForm = $("#recover-accounts-form"), list = $(".agent-certificates");
  var accountsResult = $("#accounts-result"), recovered = $("#recovered"), names = $("#recovered-accounts");
  var resetSection = $("#reset-password"), resetForm = $("#reset-password-form"), resetResult = $("#reset-result");
  var chosenCertificate = null;

  var client = window.EbidClient(root.dataset.agentUrl);
  var say = client.say, errorText = client.errorText, platform = client.platform;

  function render(certs) {
    if (!client.renderCertificates(list, certs, {filter: "sign"}).length) {
      say(status, "签名助手已连接，但没有找到可用于签名的证书：请插入 USB Key 后点“重新检测”。", "error");
      return;
    }
    say(status, "签名助手已连接：请选择已绑定到本单位的证书并输入其 PIN 码（密钥文件为其口令）。", "success");
    accountsForm.hidden = false;
  }
  function detect() {
    client.detect({status: status, missing: missing, hide: [accountsForm], onReady: render});
  }
  function findAccounts(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=certificate]:checked");
    var pin = $("#recover-pin");
    var button = client.begin(accountsForm, accountsResult, [[chosen, "请选择证书"], [pin.value, "请输入 PIN 码"]],
                              "正在签名并查找本单位的账户…");
    if (!button) { return; }
    client.signedChallenge("login", chosen.value, pin.value).then(function (proof) {
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
    }).catch(client.failure(accountsResult, "操作失败")).then(function () { pin.value = ""; button.disabled = false; });
  }
  function resetPassword(event) {
    event.preventDefault();
    var username = $("#reset-username").value, password = $("#new-password").value;
    var pin = $("#reset-pin");
    var button = client.begin(resetForm, resetResult, [
      [chosenCertificate && username, "请先完成第一步"],
      [password.length >= minPassword, "新口令至少 " + minPassword + " 个字符"],
      [password === $("#confirm-password").value, "两次输入的新口令不一致"],
      [pin.value, "请输入 PIN 码"]], "正在签名并重置口令…");
    if (!button) { return; }
    client.signedChallenge("login", chosenCertificate, pin.value).then(function (proof) {
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
    }).catch(client.failure(resetResult, "操作失败")).then(function () { pin.value = ""; button.disabled = false; });
  }
  accountsForm.addEventListener("submit", findAccounts);
  resetForm.addEventListener("submit", resetPassword);
  $(".agent-retry").addEventListener("click", detect);
  detect();
}());
