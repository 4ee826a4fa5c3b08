package jp.techo.app.ui

import android.content.Intent
import android.os.Bundle

/**
 * A phone restored from a backup or moved to a new phone has the wallet's files but not this
 * phone's Keystore key that opens them: nothing can be read. Say so, and offer a fresh start;
 * the handbooks are registered and linked again (the paper handbook and the card are needed).
 */
class KeyGoneActivity : TechoActivity() {
    override val promptsForLock = true

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        screen {
            text(t("この端末では手帳のデータを開けません", "This phone cannot open the wallet"), 24f, bold = true)
            text(
                t(
                    "機種変更やバックアップからの復元で、データを守る鍵がこの端末にありません。データを消去して、手帳を登録し直し、マイナンバーカードで連携し直してください。",
                    "The wallet was moved or restored to this phone without the key that protects it. Erase it, register your handbooks again and link them again with your My Number card.",
                ),
            )
            button(t("データを消去してやり直す", "Erase and start again"), tag = "reset") {
                app.resetWallet()
                startActivity(Intent(this@KeyGoneActivity, MainActivity::class.java))
                finish()
            }
        }
    }
}
