package jp.techo.app.presenter

import uniffi.techo_ffi.CardTransport
import uniffi.techo_ffi.Language
import uniffi.techo_ffi.LinkageInfo
import uniffi.techo_ffi.LinkageStatus
import uniffi.techo_ffi.TechoException
import uniffi.techo_ffi.TechoService
import uniffi.techo_ffi.Wallet

/** What the link screen shows. Every message comes from the core, in the holder's language. */
sealed interface LinkState {
    /** Type the PIN, then hold the card to the back of the phone. */
    data object EnterPin : LinkState
    data object HoldCard : LinkState
    data object Reading : LinkState
    data class Linked(val label: String, val validUntil: String?) : LinkState
    /** 申請中: the portal could not answer now; the core retries and the screen says when. */
    data class Pending(val label: String, val reason: String?, val nextTryUnix: Long?) : LinkState
    data class WrongPin(val triesLeft: Int, val message: String) : LinkState
    /** One try left: the holder must confirm before the PIN is sent again. */
    data class ConfirmLastTry(val message: String) : LinkState
    data class Blocked(val message: String) : LinkState
    /** The card moved away or could not be read: nothing was spent unless it says so. */
    data class CardProblem(val message: String) : LinkState
    data class Failed(val message: String) : LinkState
}

/**
 * The link flow: PIN typed in-app, then one tap of the card. The PIN is wiped after the call
 * whatever happens; a wrong PIN is never retried by the app.
 */
class LinkPresenter(
    private val wallet: Wallet,
    private val service: TechoService,
    private val handbookId: String,
    private val lang: Language,
) {
    val pin = PinEntry()
    var state: LinkState = LinkState.EnterPin
        private set
    private var lastTryConfirmed = false

    /** The PIN is complete: ask for the card. */
    fun pinEntered(): LinkState {
        state = if (pin.complete) LinkState.HoldCard else LinkState.EnterPin
        return state
    }

    /** The holder read the one-try-left warning and chose to go on. */
    fun confirmLastTry(): LinkState {
        lastTryConfirmed = true
        state = LinkState.EnterPin
        return state
    }

    /** The card was tapped: link with it. */
    suspend fun onCard(card: CardTransport): LinkState {
        if (!pin.complete) return LinkState.EnterPin.also { state = it }
        state = LinkState.Reading
        state = try {
            val info = pin.use { p ->
                wallet.link(service, handbookId, card, p, lastTryConfirmed, null, lang)
            }
            fromInfo(info)
        } catch (e: TechoException.WrongPin) {
            LinkState.WrongPin(e.triesLeft.toInt(), e.detail)
        } catch (e: TechoException.LastTryNeedsConfirmation) {
            LinkState.ConfirmLastTry(e.detail)
        } catch (e: TechoException.PinBlocked) {
            LinkState.Blocked(e.detail)
        } catch (e: TechoException.Card) {
            LinkState.CardProblem(e.detail)
        } catch (e: TechoException) {
            LinkState.Failed(e.message ?: e.toString())
        } finally {
            lastTryConfirmed = false
        }
        return state
    }

    /** Asks the server how a pending link is doing (called when the app opens). */
    suspend fun refresh(): LinkState {
        state = try {
            fromInfo(wallet.refreshLinkage(service, handbookId, lang))
        } catch (e: TechoException) {
            LinkState.Failed(e.message ?: e.toString())
        }
        return state
    }

    private fun fromInfo(info: LinkageInfo): LinkState = when (info.status) {
        LinkageStatus.LINKED -> LinkState.Linked(info.label, info.validUntil)
        LinkageStatus.PENDING, LinkageStatus.LINKING ->
            LinkState.Pending(info.label, info.reason, info.nextTryUnix)
        LinkageStatus.UNLINKED -> LinkState.Failed(info.label)
    }
}
