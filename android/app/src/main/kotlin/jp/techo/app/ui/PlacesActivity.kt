package jp.techo.app.ui

import android.os.Bundle
import android.widget.CheckBox
import android.widget.EditText
import android.widget.LinearLayout
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import uniffi.techo_ffi.PlaceFilter
import uniffi.techo_ffi.TechoException

/**
 * Where this handbook is accepted and what it gets there: the operator directory kept offline,
 * brought up to date when the screen opens (checked against the root key pinned at the first
 * sync; offline, the copy on the phone is used and the screen says so). Filters by area,
 * category, and "only where this handbook is accepted".
 */
class PlacesActivity : TechoActivity() {
    private var category: String? = null
    private var area: String? = null
    private var onlyThisHandbook = true
    private var syncNote: String? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        render()
        scope.launch {
            syncNote = withContext(Dispatchers.IO) {
                try {
                    app.wallet.syncDirectory(app.service(), lang)
                } catch (e: TechoException) {
                    t("オフライン：端末に保存した一覧を表示しています", "Offline: showing the list kept on this phone") + "\n" + (e.message ?: "")
                } catch (e: jp.techo.app.ConfigMissing) {
                    e.message
                }
            }
            render()
        }
    }

    private fun render() {
        val handbook = app.wallet.counterHandbookId()
        screen {
            text(t("使える場所", "Where to use it"), 26f, bold = true)
            syncNote?.let { text(it, 16f, tag = "places.sync") }
            if (app.wallet.directoryVersion() == 0uL) {
                text(t("事業者一覧がまだありません。通信できるときに開いてください", "No operator list yet: open this screen once online"), 18f, tag = "places.empty")
                return@screen
            }
            filters(handbook != null)
            val rows = app.wallet.places(
                PlaceFilter(category, area, if (onlyThisHandbook) handbook else null),
                lang,
            )
            if (rows.isEmpty()) text(t("該当する事業者はありません", "No matching operators"), tag = "places.none")
            for (p in rows) {
                text(p.name, 20f, bold = true, tag = "place.${p.operator}")
                text("${p.area} ・ ${p.categoryLabel}")
                text(p.discount)
                p.headline?.let { text("$it ${p.grant.orEmpty()}", 18f, bold = true, tag = "place.${p.operator}.verdict") }
            }
            text(t("（事業者の規定は例示です）", "(operator rules are illustrative)"), 14f)
        }
    }

    private fun LinearLayout.filters(hasHandbook: Boolean) {
        val areaField = EditText(context).apply {
            tag = "places.area"
            hint = t("地域（例：東京都）", "Area (e.g. 東京都)")
            setText(area.orEmpty())
        }
        addView(areaField)
        button(t("地域で絞る", "Filter by area"), tag = "places.area.apply") {
            area = areaField.text.toString().trim().ifEmpty { null }
            render()
        }
        val categories = listOf<Pair<String?, String>>(null to t("すべて", "all")) +
            app.wallet.placeCategories(lang).map { it.id to it.label }
        for ((c, name) in categories) {
            button(name + if (c == category) " ✓" else "", tag = "places.category.${c ?: "all"}") {
                category = c
                render()
            }
        }
        if (hasHandbook) {
            addView(
                CheckBox(context).apply {
                    text = t("この手帳で使える所だけ", "Only where this handbook is accepted")
                    tag = "places.mine"
                    textSize = 18f
                    minHeight = dp(48)
                    isChecked = onlyThisHandbook
                    setOnClickListener {
                        onlyThisHandbook = isChecked
                        render()
                    }
                },
            )
        }
    }
}
