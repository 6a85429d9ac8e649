/* Binding an encryption certificate by proof of decryption (/certificates/bind): list the local
   agent's encryption certificates, ask the platform to seal random data to the chosen one
   (POST /api/v1/certificates/encryption-proofs), have the agent unwrap and re-encrypt the content key
   to the platform's transport certificate (/v1/unwrap), and post that to
   POST /api/v1/certificates/encryption-proofs/<id>, which binds it. Uses agent-client.js
   (EbidDecryptionPanel; loaded by the page's signing panel). No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("encryption-bind-panel");
  if (!root) { return; }
  var bound = {};                                     // fingerprint → true
  var panel = window.EbidDecryptionPanel(root, {
    start: "/api/v1/certificates/encryption-proofs",
    finish: function (proof) { return "/api/v1/certificates/encryption-proofs/" + proof.id; },
    name: "encryption_certificate",
    suffix: function (cert) { return bound[cert.id] ? "（已绑定）" : ""; },
    before: function (client) {
      return client.platform("/api/v1/certificates").then(function (r) {
        if (r.ok && r.body) { r.body.forEach(function (s) { bound[s.binding.fingerprint_sha256] = true; }); }
      });
    },
    ready: "签名助手已连接：请选择要绑定的加密证书并输入其 PIN 码（密钥文件为其口令）。",
    busy: "正在进行解密验证并绑定…", failed: "绑定失败",
    done: function (body, result, redetect) {
      bound[body.fingerprint_sha256] = true;
      panel.client.say(result, "加密证书已绑定：" + panel.client.commonName(body.subject) + "（用于投标文件加密，不能签章）",
                       "success");
      var link = document.createElement("a"); link.href = "/certificates"; link.textContent = " 查看我的证书";
      result.appendChild(link);
      redetect();
    }
  });
})();
