/* The expert list's opening at the evaluation start (专家名单解密): list the local agent's encryption
   certificates, ask the platform for the list envelope's RecipientInfo for the chosen one
   (POST /api/v1/tenders/<id>/expert-list-openings), have the agent unwrap the content key and
   re-encrypt it to the platform's transport certificate (/v1/unwrap), post that to
   POST …/expert-list-openings/<version>, then show the page with the list. Uses agent-client.js. */
(function () {
  "use strict";
  var root = document.getElementById("expert-list-panel");
  if (!root) { return; }
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".agent-form");
  var list = $(".agent-certificates"), result = $(".agent-result");
  var base = "/api/v1/tenders/" + encodeURIComponent(root.dataset.tender) + "/expert-list-openings";
  var certificates = {};

  var client = window.EbidClient(root.dataset.agentUrl);
  var say = client.say, errorText = client.errorText;
  function render(certs) {
    certificates = {};
    var usable = client.renderCertificates(list, certs, {filter: "decrypt", markExpired: true});
    usable.forEach(function (cert) { certificates[cert.id] = cert.certificate; });
    if (!usable.length) {
      say(status, "签名助手已连接，但没有找到加密证书：请插入本单位的 USB Key 后点“重新检测”。", "error");
      return;
    }
    say(status, "签名助手已连接：请选择本单位的加密证书并输入其 PIN 码。", "success");
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
                              "正在解密专家名单…");
    if (!button) { return; }
    client.decryptionProof(base, certificates[chosen.value], chosen.value, pinInput.value,
                           function (started) { return base + "/" + encodeURIComponent(started.version); })
    .then(function (r) {
      pinInput.value = "";
      if (!r.ok) { throw {message: "平台：" + errorText(r.body, "HTTP " + r.status)}; }
      say(result, "专家名单已解密，评审开始。", "success");
      window.location.reload();
    }).catch(client.failure(result, "解密失败", "无法连接签名助手，请确认它仍在运行。"))
      .then(function () { button.disabled = false; });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
