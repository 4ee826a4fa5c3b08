package jp.techo.app.ui

import android.content.Intent
import android.graphics.BitmapFactory
import android.os.Bundle
import android.view.WindowManager
import android.widget.ImageView
import android.widget.LinearLayout
import jp.techo.app.platform.PhotoFiles
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.TechoException

/**
 * Photographs of a handbook's own pages, for a counter that wants to see the paper: add from
 * the photo picker (the core removes the metadata before storing), tap one to enlarge it, remove
 * one. The counter screen enlarges them with one tap too.
 */
class PagesActivity : TechoActivity() {
    private lateinit var handbookId: String
    private var enlarged: Int? = null
    private var message: String? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        window.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        handbookId = intent.getStringExtra(HANDBOOK) ?: return finish()
        render()
    }

    private fun render() {
        val count = try {
            app.wallet.pageCount(handbookId).toInt()
        } catch (e: TechoException) {
            screen { text(e.message ?: e.toString(), 20f, tag = "pages.error") }
            return
        }
        screen {
            text(t("手帳のページ画像", "Handbook page images"), 26f, bold = true)
            message?.let { text(it, 18f, tag = "pages.message") }
            if (count == 0) text(t("まだありません", "None yet"), tag = "pages.none")
            for (i in 0 until count) page(i)
            button(t("ページの写真を追加", "Add a photo of a page"), tag = "pages.add") {
                // The activity's, not the hidden View.startActivityForResult the column offers
                // (its result would never reach onActivityResult).
                this@PagesActivity.startActivityForResult(PhotoFiles.pickIntent(), PICK_PAGE)
            }
        }
    }

    private fun LinearLayout.page(i: Int) {
        val data = app.wallet.page(handbookId, i.toUInt())
        val bitmap = data?.let { BitmapFactory.decodeByteArray(it.bytes, 0, it.bytes.size) }
        if (data == null || bitmap == null) {
            text(t("${i + 1}ページ目：表示できません", "Page ${i + 1}: cannot be shown"), tag = "pages.broken.$i")
            return
        }
        val big = enlarged == i
        addView(
            ImageView(context).apply {
                tag = "pages.image.$i"
                setImageBitmap(bitmap)
                rotation = data.rotation.toFloat()
                adjustViewBounds = true
                contentDescription = t("${i + 1}ページ目（タップで拡大・縮小）", "Page ${i + 1} (tap to enlarge or shrink)")
                setOnClickListener {
                    enlarged = if (big) null else i
                    render()
                }
            },
            LinearLayout.LayoutParams(LinearLayout.LayoutParams.MATCH_PARENT, if (big) dp(560) else dp(160)),
        )
        button(t("${i + 1}ページ目を削除", "Remove page ${i + 1}"), tag = "pages.remove.$i") {
            confirm(t("このページ画像を削除します", "This deletes the page image")) {
                app.wallet.removePage(handbookId, i.toUInt())
                enlarged = null
                message = t("削除しました", "Removed")
                render()
            }
        }
    }

    override fun onResult(requestCode: Int, resultCode: Int, data: Intent?) {
        if (requestCode != PICK_PAGE || resultCode != RESULT_OK) return
        val uri = data?.data ?: return
        scope.launch {
            message = withContext(Dispatchers.IO) {
                val bytes = PhotoFiles.read(this@PagesActivity, uri)
                    ?: return@withContext t("画像を読み込めませんでした", "The image could not be read")
                try {
                    val n = app.wallet.addPage(handbookId, bytes)
                    t("追加しました（全 $n ページ）", "Added ($n pages)")
                } catch (e: TechoException) {
                    e.message
                }
            }
            render()
        }
    }

    companion object {
        const val HANDBOOK = "handbook"
        private const val PICK_PAGE = 7
    }
}
