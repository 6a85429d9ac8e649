/* Signing the commitment letter (入驻承诺书) through the local signing agent (bidtool agent,
   docs/agent.md): read the letter's exact bytes from the platform, list the agent's signing
   certificates, have the agent sign the bytes (detached), and POST the signature to the platform,
   which keeps it only when the certificate is bound to this party. Uses agent-client.js. */
(function () {
  "use strict";
  var root = document.getElementById("commitment-signer");
  if (!root) { return; }
  var agentUrl = root.dataset.agent.replace(/\/+$/, "");
  var client = window.EbidClient(agentUrl);
  var select = document.getElementById("certificate"), pin = document.getElementById("pin");
  var signButton = document.getElementById("sign-letter"), message = document.getElementById("commitment-message");
  var letter = null;
  var agentDown = "无法连接本机签名助手（" + agentUrl + "）：它没有运行，或浏览器未允许本网站访问本机设备。" +
                  "请在本机运行 bidtool agent --origin " + window.location.origin + " 后重试。";

  function say(text, kind) { client.say(message, text, kind || "info"); }
  function fail(e) { say(e && e.agentDown ? agentDown : (e && e.message) || String(e), "error"); }
  function canSign(c) {
    var u = c.key_usage || [];
    return u.indexOf("digitalSignature") >= 0 || u.indexOf("nonRepudiation") >= 0;
  }
  function label(c) {
    var where = c.location && c.location.type === "token" ? "USB Key" : "密钥文件";
    return client.commonName(c.subject || c.id) + " · " + (c.key || c.key_algorithm || "").toUpperCase() +
           " · " + where + " · 至 " + c.not_after.slice(0, 10);
  }
  function load() {
    say("正在读取承诺书和本机证书…");
    client.platform(root.dataset.letterUrl).then(function (r) {
      if (!r.ok) { throw new Error(client.errorText(r.body, "无法读取承诺书 (HTTP " + r.status + ")")); }
      letter = r.body;
      return client.agent("/v1/info");
    }).then(function (r) {
      if (!r.ok || !r.body || r.body.protocol_version !== 1) { throw new Error("签名助手的协议版本不受支持"); }
      return client.agent("/v1/certificates");
    }).then(function (r) {
      if (!r.ok) { throw new Error(client.errorText(r.body, "签名助手拒绝了请求")); }
      var usable = (r.body.certificates || []).filter(canSign);
      select.textContent = "";
      usable.forEach(function (c) {
        var option = document.createElement("option");
        option.value = c.id;
        option.textContent = label(c);
        option.title = c.subject || c.id;
        select.appendChild(option);
      });
      if (!usable.length) { throw new Error("没有找到可用于签名的证书：请插入 USB Key 后重试。"); }
      select.disabled = false; signButton.disabled = false;
      say("请选择已绑定到本单位的证书并输入 PIN。", "success");
    }).catch(fail);
  }
  function sign() {
    if (!pin.value) { say("请输入 PIN 码", "error"); return; }
    signButton.disabled = true;
    say("正在签名…");
    client.agent("/v1/sign", {certificate: select.value, pin: pin.value, data: letter.text_base64}).then(function (r) {
      pin.value = "";
      if (!r.ok) { throw new Error("签名助手：" + client.errorText(r.body, "签名失败")); }
      return client.platform(root.dataset.submitUrl, {signature: r.body.signature});
    }).then(function (r) {
      if (!r.ok) { throw new Error(client.errorText(r.body, "平台拒绝了签名 (HTTP " + r.status + ")")); }
      say("入驻承诺书已签署。", "success");
      window.setTimeout(function () { window.location.reload(); }, 800);
    }).catch(function (e) { fail(e); signButton.disabled = false; });
  }
  document.getElementById("load-certificates").addEventListener("click", load);
  signButton.addEventListener("click", sign);
}());
