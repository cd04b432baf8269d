/*
 * 以憑證卡簽章: the signing page's card step, through HiPKI's LocalSignServer on the signer's PC.
 *
 * Browsers refuse this page's own requests to http://localhost:61161 (the component sends no CORS
 * headers), so the page talks to its /popupForm window by postMessage: the popup posts
 * {"func":"getTbs"} when ready, the page posts one request (GetUserCert, or MakeSignature with the
 * bytes to sign and the PIN), the popup posts back the component's JSON answer and closes.  Each
 * popup is opened by a click (browsers block others).  The PIN goes to the popup only: the form
 * this page submits to the service carries the session and the card's signature, never the PIN.
 * The protocol lives here and in signing/local_sign.py (the stand-in) only.
 */
(function () {
  "use strict";
  var box = document.getElementById("card-signing");
  if (!box) { return; }
  var base = box.getAttribute("data-local-sign").replace(/\/$/, "");
  var origin = new URL(base).origin;
  var status = document.getElementById("card-status");
  var summary = document.getElementById("error-summary");
  var summaryText = document.getElementById("error-summary-text");
  var chosen = document.getElementById("card-chosen");
  var slot = document.getElementById("slot");
  var pin = document.getElementById("pin");
  var pinError = document.getElementById("pin-error");
  var form = document.getElementById("sign-card-form");
  var certificates = {};

  // HiPKI's answers, as a person can act on them.
  var CARD_ERRORS = {
    0x76000001: "找不到憑證卡：請確認讀卡機已接上、卡片已插入，再按一次。",
    0x76000008: "卡片上找不到簽章用的憑證：請確認插入的是正確的卡片。",
    0x76000031: "憑證卡密碼（PIN）不正確，請重新輸入。輸入錯誤次數過多會鎖卡。",
    0x76000044: "憑證卡已因密碼錯誤次數過多而鎖住：請洽發卡機關解鎖。"
  };

  function say(text) { status.textContent = text; }

  function busy(on) {
    box.setAttribute("aria-busy", on ? "true" : "false");
    Array.prototype.forEach.call(box.querySelectorAll("button"), function (b) { b.disabled = on; });
  }

  function fail(message, field) {
    busy(false);
    say("");
    summaryText.textContent = message;
    summaryText.setAttribute("href", "#" + (field || "read-card"));
    summary.hidden = false;
    summary.focus();
    if (field === "pin") {
      pinError.textContent = message;
      pinError.hidden = false;
      document.getElementById("pin-field").classList.add("has-error");
    }
  }

  function clearErrors() {
    summary.hidden = true;
    pinError.hidden = true;
    document.getElementById("pin-field").classList.remove("has-error");
  }

  // One popup, one request: ``request`` is the request or a promise of it (the page may still be
  // asking the service for the bytes when the popup is ready).
  function popup(request) {
    var win = window.open(base + "/popupForm", "hipki", "width=420,height=260");
    if (!win) { return Promise.reject(new Error("瀏覽器擋下了憑證卡元件的視窗：請允許本網站開啟彈出視窗後再試。")); }
    return new Promise(function (resolve, reject) {
      var ready = false;
      var readyTimer = setTimeout(function () {
        if (!ready) { finish(); reject(new Error("找不到憑證卡元件：請確認電腦已安裝並啟動 HiPKI 跨平台網頁元件。")); }
      }, 10000);
      var answerTimer = null;
      function finish() {
        clearTimeout(readyTimer);
        clearTimeout(answerTimer);
        window.removeEventListener("message", onMessage);
        if (!win.closed) { win.close(); }
      }
      function onMessage(event) {
        if (event.source !== win || event.origin !== origin) { return; }
        var data;
        try { data = JSON.parse(event.data); } catch (e) { data = null; }
        if (!ready && data && data.func === "getTbs") {
          ready = true;
          clearTimeout(readyTimer);
          answerTimer = setTimeout(function () {
            finish(); reject(new Error("憑證卡元件沒有回應：請確認卡片已插入後再試。"));
          }, 120000);
          Promise.resolve(request).then(function (r) {
            win.postMessage(JSON.stringify(r), origin);
          }, function (err) { finish(); reject(err); });
          return;
        }
        if (ready) { finish(); resolve(data || {}); }
      }
      window.addEventListener("message", onMessage);
    });
  }

  function cardError(answer) {
    var code = Number(answer.ret_code);
    return CARD_ERRORS[code] || ("憑證卡元件回報錯誤（代碼 " + code.toString(16) + "）：請確認卡片與讀卡機後再試。");
  }

  document.getElementById("read-card").addEventListener("click", function () {
    clearErrors();
    busy(true);
    say("讀取憑證卡中，請稍候…");
    popup({func: "GetUserCert"}).then(function (answer) {
      if (Number(answer.ret_code) !== 0) { throw new Error(cardError(answer)); }
      slot.innerHTML = "";
      certificates = {};
      (answer.slots || []).forEach(function (s) {
        var certs = (s.token && s.token.certs) || [];
        var own = certs.filter(function (c) { return c.usage !== "ca"; })[0] || certs[0];
        if (!own) { return; }
        certificates[s.slotDescription] = own.certb64;
        var option = document.createElement("option");
        option.value = s.slotDescription;
        var cn = /CN=([^,]+)/.exec(own.subjectDN || "");
        option.textContent = (cn ? cn[1] : own.subjectDN) + "（" + s.slotDescription + "）";
        slot.appendChild(option);
      });
      if (!slot.options.length) { throw new Error(CARD_ERRORS[0x76000001]); }
      busy(false);
      chosen.hidden = false;
      say("已讀取憑證卡，請選擇卡片並輸入密碼。");
      pin.focus();
    }).catch(function (err) { fail(err.message, "read-card"); });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    if (!pin.value) { fail("請輸入憑證卡密碼（PIN）。", "pin"); return; }
    var slotDescription = slot.value;
    var thePin = pin.value;
    pin.value = "";
    busy(true);
    say("簽章中，請稍候，勿關閉視窗…");
    var begun = fetch(box.getAttribute("data-begin"), {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": box.getAttribute("data-csrf")},
      body: JSON.stringify({certificate: certificates[slotDescription], draft: box.getAttribute("data-draft"),
                            record: box.getAttribute("data-record"), block: box.getAttribute("data-block")})
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error((body.error && body.error.message) || "無法準備簽章，請重新整理後再試。"); }
        return body;
      });
    });
    var session = null;
    var request = begun.then(function (body) {
      session = body;
      return {func: "MakeSignature", tbs: body.to_be_signed, tbsEncoding: "base64",
              hashAlgorithm: body.hash_algorithm, signatureType: body.signature_type, pin: thePin,
              slotDescription: slotDescription};
    });
    popup(request).then(function (answer) {
      if (Number(answer.ret_code) !== 0) {
        var code = Number(answer.ret_code);
        throw Object.assign(new Error(cardError(answer)), {field: code === 0x76000031 ? "pin" : "read-card"});
      }
      document.getElementById("session-field").value = session.id;
      document.getElementById("signature-field").value = answer.signature;
      say("已簽章，正在歸檔…");
      form.submit();
    }).catch(function (err) { fail(err.message, err.field || "read-card"); });
  });
}());
