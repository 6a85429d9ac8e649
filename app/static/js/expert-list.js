/* The expert list's opening at the evaluation start (专家名单解密): list the local agent's encryption
   certificates, ask the platform for the list envelope's RecipientInfo for the chosen one
   (POST /api/v1/tenders/<id>/expert-list-openings), have the agent unwrap the content key and
   re-encrypt it to the platform's transport certificate (/v1/unwrap), post that to
   POST …/expert-list-openings/<version>, then show the page with the list. Uses agent-client.js
   (EbidDecryptionPanel). */
(function () {
  "use strict";
  var root = document.getElementById("expert-list-panel");
  if (!root) { return; }
  var base = "/api/v1/tenders/" + encodeURIComponent(root.dataset.tender) + "/expert-list-openings";
  var panel = window.EbidDecryptionPanel(root, {
    start: base,
    finish: function (started) { return base + "/" + encodeURIComponent(started.version); },
    ready: "签名助手已连接：请选择本单位的加密证书并输入其 PIN 码。",
    busy: "正在解密专家名单…", failed: "解密失败",
    done: function (body, result) {
      panel.client.say(result, "专家名单已解密，评审开始。", "success");
      window.location.reload();
    }
  });
})();
