/* The encryption/decryption self-test (加解密测试, R11): list the local agent's encryption
   certificates, ask the platform to seal random data to the chosen one (POST /api/v1/self-test),
   have the agent unwrap the content key with the token and re-encrypt it to the platform's transport
   certificate (/v1/unwrap), and post that to POST /api/v1/self-test/<id>. Every failure is said as
   the agent or the platform said it. Uses agent-client.js (EbidDecryptionPanel). No external assets. */
(function () {
  "use strict";
  var root = document.getElementById("self-test-panel");
  if (!root) { return; }
  var panel = window.EbidDecryptionPanel(root, {
    start: "/api/v1/self-test",
    finish: function (test) { return "/api/v1/self-test/" + encodeURIComponent(test.id); },
    ready: "签名助手已连接：请选择加密证书并输入其 PIN 码（密钥文件为其口令）。",
    busy: "正在进行加解密测试…", failed: "测试失败",
    done: function (body, result, redetect) {
      if (body.ok) {
        panel.client.say(result, "数字证书加解密测试成功：" + panel.client.commonName(body.subject), "success");
      } else {
        panel.client.say(result, "数字证书加解密测试失败：" + body.message + " [" + body.outcome + "]", "error");
      }
      redetect();
    }
  });
})();
