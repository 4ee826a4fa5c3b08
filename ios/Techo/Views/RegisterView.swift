import PhotosUI
import SwiftUI

/// Register a handbook: its fields typed from the paper handbook (a typed form: the core names
/// each wrong field, shown under it), the face photo from the photo library (the core removes
/// its metadata), and name and birth date read from the card with the PIN on the in-app keypad.
struct RegisterView: View {
    @EnvironmentObject private var env: AppEnvironment
    @Environment(\.dismiss) private var dismiss
    @State private var form = HandbookForm(kind: "physical")
    @State private var problems: [String: String] = [:]
    @State private var photoItem: PhotosPickerItem?
    @State private var photo: Data?
    @State private var message: String?
    @State private var entered = 0
    @State private var reader: CardReaderSession?
    private let pin = PinPad()

    private func field(_ ja: String, _ en: String, _ key: String, _ value: Binding<String?>) -> some View {
        VStack(alignment: .leading) {
            TextField(env.pick(ja, en), text: Binding(get: { value.wrappedValue ?? "" },
                                                     set: { value.wrappedValue = $0.isEmpty ? nil : $0 }))
            if let p = problems[key] { Text(p).foregroundColor(.red).font(.footnote) }
        }
    }

    var body: some View {
        Form {
            Section(env.pick("手帳の種類", "Kind of handbook")) {
                Picker("", selection: $form.kind) {
                    Text(env.pick("身体障害者手帳", "Physical disability")).tag("physical")
                    Text(env.pick("精神障害者保健福祉手帳", "Mental health")).tag("mental")
                    Text(env.pick("療育手帳", "Intellectual (療育)")).tag("intellectual")
                }
                .pickerStyle(.inline)
            }
            Section(env.pick("手帳の記載事項", "From the handbook")) {
                if form.kind == "intellectual" {
                    field("判定区分（手帳の記載どおり）", "Grade as printed", "label", $form.label)
                } else {
                    field("等級", "Grade", "grade", $form.grade)
                }
                field("旅客運賃減額（第1種・第2種）", "Fare discount class", "fare_class", $form.fareClass)
                field("手帳番号", "Handbook number", "number", $form.number)
                field("交付自治体コード（6桁）", "Municipality code (6 digits)", "municipality_code", $form.municipalityCode)
                field("交付自治体", "Issuing municipality", "municipality_name", $form.municipalityName)
                field("交付年月日（例 2018-04-02）", "Date issued (e.g. 2018-04-02)", "issued", $form.issued)
                if form.kind == "mental" {
                    field("有効期限", "Valid until", "expires", $form.expires)
                }
                field("氏名", "Name", "holder_name", $form.holderName)
                field("フリガナ", "Name in kana", "holder_kana", $form.holderKana)
                field("生年月日（例 1979-07-20）", "Date of birth", "holder_birth_date", $form.holderBirthDate)
            }
            Section(env.pick("顔写真（窓口で本人と見比べます）", "Face photo (staff compare it with you)")) {
                PhotosPicker(env.pick("写真を選ぶ", "Choose a photo"), selection: $photoItem, matching: .images)
                if let photo, let image = UIImage(data: photo) {
                    Image(uiImage: image).resizable().scaledToFit().frame(maxHeight: 200)
                }
                if let p = problems["photo"] { Text(p).foregroundColor(.red).font(.footnote) }
            }
            Section(env.pick("マイナンバーカードから氏名・生年月日", "Name and birth date from the My Number card")) {
                PinKeys(entered: entered, length: 4, lang: env.lang,
                        press: { d in entered = Int(pin.press(digit: d)); if pin.isComplete() { readCard() } },
                        delete: { entered = Int(pin.backspace()) })
            }
            if let message { Text(message) }
            Button(env.pick("登録する", "Register")) { register() }
        }
        .navigationTitle(env.pick("手帳を登録", "Register"))
        .onChange(of: photoItem) { _, item in
            Task { photo = try? await item?.loadTransferable(type: Data.self) }
        }
    }

    /// The card read runs on the card's thread: it captures the PIN pad (a Sendable core object)
    /// and the texts it needs here, on the main actor, and touches the view's state only back
    /// on the main actor. A sheet closed without a card wipes the PIN.
    private func readCard() {
        let pin = self.pin
        let done = env.pick("読み取りました", "Read")
        let notRead = env.pick("カードを読み取らずに終わりました。もう一度暗証番号を入力してください",
                               "The card was not read. Enter the PIN again")
        reader = CardReaderSession(
            prompt: env.pick("カードをかざしてください", "Hold the card to the iPhone"),
            onCard: { card in
                do {
                    let identity = try readCardIdentity(card: card, pin: pin, confirmLastTry: false)
                    await MainActor.run {
                        form.holderName = identity.name
                        form.holderBirthDate = identity.birthDate
                        entered = 0
                    }
                    return (true, done)
                } catch {
                    let text = error.localizedDescription
                    await MainActor.run { entered = 0; message = text }
                    return (false, text)
                }
            },
            onClosed: {
                pin.clear()
                entered = 0
                message = notRead
                reader = nil
            })
        reader?.begin()
    }

    private func register() {
        do {
            _ = try env.wallet.register(form: form, photo: photo, lang: env.lang)
            dismiss()
        } catch let TechoError.InvalidHandbook(detail, fields) {
            problems = Dictionary(fields.map { ($0.field, $0.message) }, uniquingKeysWith: { a, b in a + "\n" + b })
            message = fields.isEmpty ? detail : env.pick("赤字の項目を確認してください", "Please check the fields marked in red")
        } catch {
            message = error.localizedDescription
        }
    }
}
