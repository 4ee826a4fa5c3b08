import SwiftUI

/// Register a handbook: fields from the paper handbook; name and birth date read from the card.
struct RegisterView: View {
    @EnvironmentObject private var env: AppEnvironment
    @Environment(\.dismiss) private var dismiss
    @State private var fields: [(key: String, value: String)] = [
        ("kind", "physical"), ("grade", ""), ("label", ""), ("fare_class", ""), ("number", ""),
        ("municipality_code", ""), ("municipality_name", ""), ("issued", ""), ("expires", ""),
        ("holder.name", ""), ("holder.kana", ""), ("holder.birth_date", ""),
    ]
    @State private var pin = PinEntry()
    @State private var message: String?
    @State private var reader: CardReaderSession?

    var body: some View {
        Form {
            Section(env.pick("マイナンバーカードから氏名・生年月日", "Name and birth date from the My Number card")) {
                PinPad(pin: $pin) { readCard() }
            }
            Section(env.pick("手帳の記載事項", "From the handbook")) {
                ForEach(fields.indices, id: \.self) { i in
                    TextField(fields[i].key, text: $fields[i].value)
                }
            }
            if let message { Text(message) }
            Button(env.pick("登録する", "Register")) { register() }
        }
        .navigationTitle(env.pick("手帳を登録", "Register"))
    }

    private func set(_ key: String, _ value: String) {
        if let i = fields.firstIndex(where: { $0.key == key }) { fields[i].value = value }
    }

    private func readCard() {
        reader = CardReaderSession(prompt: env.pick("カードをかざしてください", "Hold the card to the iPhone")) { card in
            do {
                let identity = try await pin.use { p in try readCardIdentity(card: card, pin: p, confirmLastTry: false) }
                await MainActor.run {
                    set("holder.name", identity.name)
                    set("holder.birth_date", identity.birthDate)
                }
                return (true, env.pick("読み取りました", "Read"))
            } catch {
                return (false, error.localizedDescription)
            }
        }
        reader?.begin()
    }

    /// The handbook file the core reads: TOML, strings escaped, empty fields left out.
    private func toml() -> String {
        func quote(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var top = "", holder = "\n[holder]\n"
        for (key, value) in fields where !value.trimmingCharacters(in: .whitespaces).isEmpty {
            let line = "\(key.replacingOccurrences(of: "holder.", with: "")) = \(quote(value))\n"
            if key.hasPrefix("holder.") { holder += line } else { top += line }
        }
        return top + holder
    }

    private func register() {
        do {
            _ = try env.wallet.registerToml(toml: toml(), photo: nil, lang: env.lang)
            dismiss()
        } catch {
            // The core names every wrong field, one per line.
            message = error.localizedDescription
        }
    }
}
