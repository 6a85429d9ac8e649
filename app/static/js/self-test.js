/* The encryption/decryption self-test (加解密测试, R11): list the local agent's encryption
   certificates, ask the platform to seal random data to the chosen one (POST /api/v1/self-test),
   have the agent unwrap the content key with the token and re-encrypt it to the platform's transport
   certificate (/v1/unwrap), and post that to POST /api/v1/self-test/<id>. Every failure is said as
   the agent or the platform said it. Uses agent-client.js. No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("self-test-panel");
  if (!root) { return; }
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".agent-form");
  var list = $(".agent-certificates"), result = $(".agent-result");
  var certificates = {};                              // agent id → certificate (base64 DER)

  var client = window.EbidClient(root.dataset.agentUrl);
  var say = client.say, errorText = client.errorText;
  function render(certs) {
    certificates = {};
    var usable = client.renderCertificates(list, certs, {filter: "decrypt", markExpired: true});
    usable.forEach(function (cert) { certificates[cert.id] = cert.certificate; });
    if (!usable.length) {
      say(status, "签名助手已连接，但没有找到加密证书：请插入 USB Key 后点“重新检测”。", "error");
      return;
    }
    say(status, "签名助手已连接：请选择加密证书并输入其 PIN 码（密钥文件为其口令）。", "success");
    form.hidden = false;
  }
  function detect() {
    client.detect({status: status, missing: missing, hide: [form], capabilities: ["unwrap"], onReady: render});
  }
  function submit(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=certificate]:checked");
    var pinInput = $("input[name=pin]");
    var button = client.begin(form, result, [[chosen, "请选择证书"], [pinInput.value, "请输入 PIN 码"]],
                              "正在进行加解密测试…");
    if (!button) { return; }
    client.decryptionProof("/api/v1/self-test", certificates[chosen.value], chosen.value, pinInput.value,
                           function (test) { return "/api/v1/self-test/" + encodeURIComponent(test.id); })
    .then(function (r) {
      pinInput.value = "";
      if (!r.ok) { throw {message: "平台：" + errorText(r.body, "HTTP " + r.status)}; }
      if (r.body.ok) {
        say(result, "数字证书加解密测试成功：" + client.commonName(r.body.subject), "success");
      } else {
        say(result, "数字证书加解密测试失败：" + r.body.message + " [" + r.body.outcome + "]", "error");
      }
      detect();
    }).catch(client.failure(result, "测试失败", "无法连接签名助手，请确认它仍在运行。"))
      .then(function () { button.disabled = false; });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
