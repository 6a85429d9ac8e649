/* Signing the commitment letter (入驻承诺书) through the local signing agent (bidtool agent,
   docs/agent.md): read the letter's exact bytes from the platform, list the agent's signing
   certificates, have the agent sign the bytes (detached), and POST the signature to the platform,
   which keeps it only when the certificate is bound to this party. Uses agent-client.js. */
(function () {
  "use strict";
  var root = document.getElementById("commitment-signer");
  if (!root) { return; }
  var client = window.EbidClient(root.dataset.agent);
  var select = document.getElementById("certificate"), pin = document.getElementById("pin");
  var signButton = document.getElementById("sign-letter"), message = document.getElementById("commitment-message");
  var letter = null;
  var agentDown = "无法连接本机签名助手（" + client.agentUrl + "）：它没有运行，或浏览器未允许本网站访问本机设备。" +
                  "请在本机运行 bidtool agent --origin " + window.location.origin + " 后重试。";

  function say(text, kind) { client.say(message, text, kind || "info"); }
  function readLetter() {
    return client.platform(root.dataset.letterUrl).then(function (r) {
      if (!r.ok) { throw new Error(client.errorText(r.body, "无法读取承诺书 (HTTP " + r.status + ")")); }
      letter = r.body;
    });
  }
  function offer(certs) {
    if (!client.renderCertificates(select, certs, {filter: "sign"}).length) {
      say("没有找到可用于签名的证书：请插入 USB Key 后重试。", "error");
      return;
    }
    select.disabled = false; signButton.disabled = false;
    say("请选择已绑定到本单位的证书并输入 PIN。", "success");
  }
  function load() {
    client.detect({status: message, connecting: "正在读取承诺书和本机证书…", down: agentDown,
                   unsupported: "签名助手的协议版本不受支持", before: readLetter, onReady: offer});
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
    }).catch(function (e) { client.failure(message, String(e), agentDown)(e); signButton.disabled = false; });
  }
  document.getElementById("load-certificates").addEventListener("click", load);
  signButton.addEventListener("click", sign);
}());
