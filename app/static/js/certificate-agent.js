/* The certificate pages' side of the local signing agent (bidtool agent, docs/agent.md): list the
   agent's certificates, have it sign a one-time challenge of the platform, and send the signature to
   the platform to bind the certificate ("bind") or to log in ("login"). Uses agent-client.js.
   No external assets. The root element carries data-mode, data-agent-url and data-purpose. */
(function () {
  "use strict";
  var root = document.getElementById("agent-panel");
  if (!root) { return; }
  var mode = root.dataset.mode;                       // "bind" | "login"
  var $ = function (sel) { return root.querySelector(sel); };
  var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".agent-form");
  var list = $(".agent-certificates"), result = $(".agent-result");
  var bound = {};                                     // fingerprint → true (bind mode)

  var client = window.EbidClient(root.dataset.agentUrl);
  var say = client.say, errorText = client.errorText, platform = client.platform;
  function knownBindings() {
    return platform("/api/v1/certificates").then(function (r) {
      if (r.ok && r.body) { r.body.forEach(function (s) { bound[s.binding.fingerprint_sha256] = true; }); }
    });
  }
  function render(certs) {
    var usable = client.renderCertificates(list, certs, {filter: "sign", suffix: function (cert) {
      return bound[cert.id] ? "（已绑定）" : "";
    }});
    if (!usable.length) {
      say(status, "签名助手已连接，但没有找到可用于签名的证书：请插入 USB Key 后点“重新检测”。", "error");
      return;
    }
    say(status, "签名助手已连接：请选择证书并输入其 PIN 码（密钥文件为其口令）。", "success");
    form.hidden = false;
  }
  function detect() {
    client.detect({status: status, missing: missing, hide: [form], onReady: render,
                   before: mode === "bind" ? knownBindings : null});
  }
  function fileBase64(file) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(String(reader.result).split(",")[1] || ""); };
      reader.onerror = function () { reject({message: "无法读取印章图片文件"}); };
      reader.readAsDataURL(file);
    });
  }
  function submit(event) {
    event.preventDefault();
    var chosen = root.querySelector("input[name=certificate]:checked");
    var pin = $("input[name=pin]").value;
    var button = client.begin(form, result, [[chosen, "请选择证书"], [pin, "请输入 PIN 码"]],
                              mode === "bind" ? "正在签名并绑定…" : "正在签名并登录…");
    if (!button) { return; }
    var sealFile = mode === "bind" ? $("input[name=seal_image]").files[0] : null;
    var seal = sealFile ? fileBase64(sealFile).then(function (image) {
      return {kind: $("select[name=seal_kind]").value, image: image};
    }) : Promise.resolve(null);
    client.signedChallenge(root.dataset.purpose, chosen.value, pin).then(function (proof) {
      return seal.then(function (sealBody) {
        if (mode === "bind") {
          return platform("/api/v1/certificates", {challenge: proof.challenge, signature: proof.signature, seal: sealBody});
        }
        var username = $("input[name=cert_username]").value.trim();
        return platform("/api/v1/session/certificate",
                        {challenge: proof.challenge, signature: proof.signature, username: username || null});
      });
    }).then(function (r) {
      if (!r.ok) { throw {message: errorText(r.body, "平台拒绝了请求 (HTTP " + r.status + ")")}; }
      $("input[name=pin]").value = "";
      if (mode === "login") {
        say(result, "登录成功，正在进入我的账户…", "success");
        window.location.assign("/account");
        return;
      }
      bound[r.body.fingerprint_sha256] = true;
      say(result, "证书已绑定：" + client.commonName(r.body.subject) + (r.body.may_stamp ? "（可用于签章）" : "（仅用于登录和加解密，不能签章）"), "success");
      var link = document.createElement("a"); link.href = "/certificates"; link.textContent = " 查看我的证书";
      result.appendChild(link);
      detect();
    }).catch(client.failure(result, "操作失败")).then(function () { button.disabled = false; });
  }
  form.addEventListener("submit", submit);
  $(".agent-retry").addEventListener("click", detect);
  detect();
})();
