/* Binding an encryption certificate by proof of decryption (/certificates/bind): list the local
   agent's encryption certificates, ask the platform to seal random data to the chosen one
   (POST /api/v1/certificates/encryption-proofs), have the agent unwrap and re-encrypt the content key
   to the platform's transport certificate (/v1/unwrap), and post that to
   POST /api/v1/certificates/encryption-proofs/<id>, which binds it. Uses agent-client.js (loaded by
   the page's signing panel). No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("encryption-bind-panel");
  if (!root) { return; }
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".agent-form");
  var list = $(".agent-certificates"), result = $(".agent-result");
  var certificates = {}, bound = {};                  // agent id → base64 DER; fingerprint → true

  var client = window.EbidClient(root.dataset.agentUrl);
  var say = client.say, errorText = client.errorText, platform = client.platform;
  function knownBindings() {
    return platform("/api/v1/certificates").then(function (r) {
      if (r.ok && r.body) { r.body.forEach(function (s) { bound[s.binding.fingerprint_sha256] = true; }); }
    });
  }
  function render(certs) {
    certificates = {};
    var usable = client.renderCertificates(list, certs, {filter: "decrypt", markExpired: true, name: "encryption_certificate",
                                                         suffix: function (cert) { return bound[cert.id] ? "（已绑定）" : ""; }});
    usable.forEach(function (cert) { certificates[cert.id] = cert.certificate; });
    if (!usable.length) {
      say(status, "签名助手已连接，但没有找到加密证书：请插入 USB Key 后点“重新检测”。", "error");
      return;
    }
    say(status, "签名助手已连接：请选择要绑定的加密证书并输入其 PIN 码（密钥文件为其口令）。", "success");
    form.hidden = false;
  }
  function detect() {
    client.detect({status: status, missing: missing, hide: [form], capabilities: ["unwrap"], onReady: render,
                   before: knownBindings});
  }
  function submit(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=encryption_certificate]:checked");
    var pinInput = $("input[name=pin]");
    var button = client.begin(form, result, [[chosen, "请选择证书"], [pinInput.value, "请输入 PIN 码"]],
                              "正在进行解密验证并绑定…");
    if (!button) { return; }
    client.decryptionProof("/api/v1/certificates/encryption-proofs", certificates[chosen.value], chosen.value,
                           pinInput.value, function (proof) { return "/api/v1/certificates/encryption-proofs/" + proof.id; })
    .then(function (r) {
      pinInput.value = "";
      if (!r.ok) { throw {message: "平台：" + errorText(r.body, "HTTP " + r.status)}; }
      bound[r.body.fingerprint_sha256] = true;
      say(result, "加密证书已绑定：" + client.commonName(r.body.subject) + "（用于投标文件加密，不能签章）", "success");
      var link = document.createElement("a"); link.href = "/certificates"; link.textContent = " 查看我的证书";
      result.appendChild(link);
      detect();
    }).catch(client.failure(result, "绑定失败", "无法连接签名助手，请确认它仍在运行。"))
      .then(function () { button.disabled = false; });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
