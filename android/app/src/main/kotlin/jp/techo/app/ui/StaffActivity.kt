package jp.techo.app.ui

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.graphics.SurfaceTexture
import android.net.Uri
import android.os.Bundle
import android.provider.Settings
import android.view.TextureView
import android.widget.LinearLayout
import android.widget.ScrollView
import java.util.concurrent.atomic.AtomicBoolean
import jp.techo.app.ConfigMissing
import jp.techo.app.platform.QrCamera
import jp.techo.app.platform.replaceWith
import jp.techo.app.platform.QrDecoder
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.OperatorDirectory
import uniffi.techo_ffi.StaffCheck
import uniffi.techo_ffi.StaffDecision
import uniffi.techo_ffi.StaffVerdict
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.Verifier

/**
 * Staff mode: scan a holder's code with the camera and show the verdict in large type: with an
 * operator chosen (from the issuer-signed directory, remembered), the operator's verdict first
 * (accepted / not accepted / check manually, who travels at the discount), then the facts and
 * the self-declared block; without one, whether the code is valid. The issuer's lists are refreshed when the mode opens (one small signed delta per list when the
 * lists saved last time are still current enough, everything otherwise) and checked against the
 * root key shipped with the app; then every check is offline. Without a connection the lists
 * saved last time are used (checked again), and their age is shown. The camera runs only while the screen is
 * in front, and frames are read only once the lists are ready (a scan is never lost to a
 * verifier still loading).
 */
class StaffActivity : TechoActivity() {
    private var verifier: Verifier? = null
    private var camera: QrCamera? = null
    private val decoder = QrDecoder()
    /** A code was read and its verdict is shown: frames are ignored until "scan the next". */
    private val holding = AtomicBoolean(false)
    private lateinit var preview: TextureView
    private lateinit var results: LinearLayout
    private lateinit var operator: StaffOperatorPanel
    private lateinit var coupons: StaffCoupons
    private var surfaceReady = false

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        preview = TextureView(this).apply {
            tag = "staff.preview"
            contentDescription = t("カメラの映像：コードを枠に入れてください", "Camera view: put the code in the frame")
        }
        column.addView(preview, LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f))
        results = LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            setPadding(dp(16), dp(12), dp(16), dp(12))
        }
        val setup = LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            setPadding(dp(16), dp(8), dp(16), 0)
        }
        operator = StaffOperatorPanel(setup, lang, getSharedPreferences("staff", MODE_PRIVATE))
        coupons = StaffCoupons(app, lang, scope, operator)
        // The operator, the trip and the verdict scroll under the camera: with large text a
        // verdict is longer than half a screen, and nothing may be squeezed out of reach.
        val below = LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            addView(setup)
            addView(results)
        }
        column.addView(
            ScrollView(this).apply { addView(below) },
            LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, 0, 1f),
        )
        setContentView(column)
        preview.surfaceTextureListener = object : TextureView.SurfaceTextureListener {
            override fun onSurfaceTextureAvailable(surface: SurfaceTexture, width: Int, height: Int) {
                surfaceReady = true
                startCamera()
            }
            override fun onSurfaceTextureSizeChanged(surface: SurfaceTexture, width: Int, height: Int) {}
            override fun onSurfaceTextureDestroyed(surface: SurfaceTexture): Boolean {
                surfaceReady = false
                return true
            }
            override fun onSurfaceTextureUpdated(surface: SurfaceTexture) {}
        }
        show(listOf(t("失効情報を取得しています…", "Fetching the revocation lists…")), tag = "staff.loading")
        scope.launch {
            val loaded = withContext(Dispatchers.IO) { loadLists() }
            loaded.onSuccess { (v, offline) ->
                operator.bind(withContext(Dispatchers.IO) { loadOperators(v, online = offline == null) })
                verifier = v
                if (offline == null) {
                    show(listOf(t("コードをカメラに向けてください", "Point the camera at the code")), tag = "staff.ready")
                    // Redemptions queued while offline go now.
                    coupons.send(results)
                } else {
                    val hours = v.listsAgeSeconds(System.currentTimeMillis() / 1000) / 3600
                    show(
                        listOf(
                            t("コードをカメラに向けてください", "Point the camera at the code"),
                            t("オフライン：${hours}時間前の失効情報で確認します", "Offline: checking with revocation lists from $hours h ago"),
                            offline.message ?: "",
                        ),
                        tag = "staff.ready",
                    )
                    results.text(t("オフライン", "Offline"), 18f, bold = true, tag = "staff.offline")
                }
            }.onFailure {
                show(listOf(t("失効情報を取得できません", "Cannot fetch the revocation lists"), it.message ?: ""), tag = "staff.error")
            }
        }
    }

    /**
     * The lists: refreshed from the server (saved for next time), or, when that fails, the ones
     * saved last time with the reason they were not refreshed.
     */
    private suspend fun loadLists(): Result<Pair<Verifier, Exception?>> {
        val config = try {
            app.platform.serverConfig()
        } catch (e: ConfigMissing) {
            return Result.failure(e)
        }
        val file = app.verifierListsFile
        val saved = if (file.exists()) file.readBytes() else null
        return try {
            val fresh = app.service().refreshVerifier(config.rootKey, saved)
            fresh.saved()?.let { file.replaceWith(it) }
            Result.success(fresh to null)
        } catch (e: TechoException) {
            if (saved == null) return Result.failure(e)
            try {
                Result.success(Verifier.fromSaved(config.rootKey, saved) to e)
            } catch (damaged: TechoException) {
                Result.failure(e)
            }
        }
    }

    /**
     * The operator directory: fetched with the lists (saved, signed, for next time), or the one
     * saved last time, its signature checked again; `null` when neither is available.
     */
    private suspend fun loadOperators(verifier: Verifier, online: Boolean): OperatorDirectory? {
        val file = app.operatorsFile
        if (online) {
            try {
                return app.service().fetchOperators(verifier).also { file.replaceWith(it.saved()) }
            } catch (_: TechoException) {
                // Fall back to the saved directory below.
            }
        }
        if (!file.exists()) return null
        return try {
            OperatorDirectory.open(verifier, file.readBytes())
        } catch (_: TechoException) {
            null
        }
    }

    override fun onResume() {
        super.onResume()
        if (surfaceReady) startCamera()
    }

    override fun onPause() {
        camera?.stop()
        camera = null
        super.onPause()
    }

    private fun startCamera() {
        if (camera != null || isFinishing) return
        if (checkSelfPermission(Manifest.permission.CAMERA) != PackageManager.PERMISSION_GRANTED) {
            requestPermissions(arrayOf(Manifest.permission.CAMERA), CAMERA_REQUEST)
            return
        }
        camera = app.platform.camera(this, preview) { frame -> onFrame(frame) }.also { it.start() }
    }

    override fun onRequestPermissionsResult(requestCode: Int, permissions: Array<out String>, grantResults: IntArray) {
        if (requestCode != CAMERA_REQUEST) return
        if (grantResults.firstOrNull() == PackageManager.PERMISSION_GRANTED) {
            startCamera()
        } else {
            show(listOf(t("カメラを使えません", "The camera is not allowed"), t("設定でカメラの使用を許可してください", "Allow the camera in the app's settings")), tag = "staff.denied")
            results.button(t("アプリの設定を開く", "Open the app's settings"), tag = "staff.settings") {
                startActivity(Intent(Settings.ACTION_APPLICATION_DETAILS_SETTINGS, Uri.fromParts("package", packageName, null)))
            }
        }
    }

    /**
     * A camera frame (on the camera's thread): decoded once the lists are ready, then judged on
     * the main thread, where the operator and the trip staff entered live (well under a
     * millisecond: the verifier is offline).
     */
    fun onFrame(frame: QrCamera.Frame) {
        val v = verifier ?: return
        if (holding.get()) return
        val code = decoder.decode(frame) ?: return
        if (!holding.compareAndSet(false, true)) return
        runOnUiThread {
            val now = System.currentTimeMillis() / 1000
            val policy = operator.policy
            if (policy == null) {
                showCheck(v.check(code, now, lang))
            } else {
                try {
                    val verdict = v.judge(code, now, lang, policy, operator.trip())
                    showVerdict(verdict)
                    if (verdict.decision != StaffDecision.INVALID_CODE) coupons.offer(results, v, code, verdict.coupon)
                } catch (e: TechoException) {
                    show(listOf(t("確認できません", "Cannot check"), e.message ?: ""), valid = false, tag = "staff.error")
                    nextButton()
                }
            }
        }
    }

    private fun showCheck(check: StaffCheck) {
        show(check.lines, valid = check.valid, tag = if (check.valid) "staff.valid" else "staff.refused")
        nextButton()
    }

    /** The operator's verdict: its lines in large type, then the facts, then what was declared. */
    private fun showVerdict(v: StaffVerdict) {
        val (tag, colour) = when (v.decision) {
            StaffDecision.ACCEPTED -> "staff.accepted" to ACCEPTED
            StaffDecision.NOT_ACCEPTED -> "staff.not_accepted" to REFUSED
            StaffDecision.CHECK_MANUALLY -> "staff.check_manually" to MANUAL
            StaffDecision.INVALID_CODE -> "staff.invalid" to REFUSED
        }
        results.removeAllViews()
        results.setBackgroundColor(colour)
        v.lines.forEachIndexed { i, line ->
            results.text(line, if (i == 0) 32f else 22f, bold = i < 3, tag = if (i == 0) tag else null)
        }
        v.details.forEach { results.text(it, 16f) }
        v.declared.forEachIndexed { i, line -> results.text(line, 16f, bold = i == 0, tag = if (i == 0) "staff.declared" else null) }
        nextButton()
    }

    private fun nextButton() {
        results.button(t("次を読み取る", "Scan the next code"), tag = "staff.next") {
            show(listOf(t("コードをカメラに向けてください", "Point the camera at the code")), tag = "staff.ready")
            holding.set(false)
        }
    }

    private fun show(lines: List<String>, valid: Boolean? = null, tag: String) {
        results.removeAllViews()
        lines.forEachIndexed { i, line ->
            results.text(line, if (i == 0) 32f else 22f, bold = i == 0, tag = if (i == 0) tag else null)
        }
        results.setBackgroundColor(
            when (valid) {
                true -> ACCEPTED
                false -> REFUSED
                null -> 0xFFFFFFFF.toInt()
            },
        )
    }

    override fun onDestroy() {
        operator.close()
        verifier?.close()
        super.onDestroy()
    }

    private companion object {
        const val CAMERA_REQUEST = 1
        const val ACCEPTED = 0xFFE6F4EA.toInt()
        const val REFUSED = 0xFFFDECEE.toInt()
        const val MANUAL = 0xFFFFF4E5.toInt()
    }
}
