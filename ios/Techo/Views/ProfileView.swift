import PhotosUI
import SwiftUI

/// The self-declared support profile: each standard item with "show on screen" / "put in the QR
/// code", a powered chair's battery and size, a note. The core checks it on save and names the
/// wrong item. NOT COMPILED HERE (see docs/ios.md).
struct ProfileView: View {
    @EnvironmentObject private var env: AppEnvironment
    @State private var items: [SupportCode: SupportItem] = [:]
    @State private var note = ""
    @State private var message: String?

    private var choices: [SupportChoice] { supportChoices(lang: env.lang) }

    var body: some View {
        Form {
            if let message { Text(message).bold() }
            ForEach(Array(Dictionary(grouping: choices, by: \.group).keys.sorted()), id: \.self) { group in
                Section(group) {
                    ForEach(choices.filter { $0.group == group }, id: \.code) { choice in
                        Toggle(choice.label, isOn: Binding(
                            get: { items[choice.code] != nil },
                            set: { on in items[choice.code] = on ? SupportItem(code: choice.code, powered: nil, onScreen: true, inQr: true) : nil }))
                        if let item = items[choice.code] {
                            Toggle(env.pick("画面に表示", "Show on the counter screen"), isOn: Binding(
                                get: { item.onScreen }, set: { items[choice.code]?.onScreen = $0 }))
                            Toggle(env.pick("QRコードに入れる", "Put in the QR code"), isOn: Binding(
                                get: { item.inQr }, set: { items[choice.code]?.inQr = $0 }))
                            if choice.needsPoweredDetails { powered(choice.code) }
                        }
                    }
                }
            }
            TextField(env.pick("ひとこと", "A note"), text: $note)
            Button(env.pick("保存", "Save")) { save() }
        }
        .navigationTitle(env.pick("支援の情報（本人申告）", "Support profile (self-declared)"))
        .onAppear {
            let profile = try? env.wallet.supportProfile()
            items = Dictionary(uniqueKeysWithValues: (profile?.items ?? []).map { ($0.code, $0) })
            note = profile?.note ?? ""
        }
    }

    @ViewBuilder private func powered(_ code: SupportCode) -> some View {
        let spec = items[code]?.powered ?? PoweredSpec(battery: .lithiumIon, wattHours: 0, widthCm: 0, lengthCm: 0, heightCm: 0, weightKg: 0)
        Picker(env.pick("バッテリー", "Battery"), selection: Binding(
            get: { spec.battery }, set: { b in items[code]?.powered = with(spec) { $0.battery = b } })) {
            Text(env.pick("リチウムイオン", "lithium-ion")).tag(BatteryType.lithiumIon)
            Text(env.pick("密閉型鉛", "sealed lead-acid")).tag(BatteryType.sealedLeadAcid)
            Text(env.pick("ニッケル水素", "nickel-metal hydride")).tag(BatteryType.nickelMetalHydride)
        }
        number(env.pick("容量（Wh）", "Battery (Wh)"), spec.wattHours) { v in items[code]?.powered = with(spec) { $0.wattHours = v } }
        number(env.pick("幅（cm）", "Width (cm)"), spec.widthCm) { v in items[code]?.powered = with(spec) { $0.widthCm = v } }
        number(env.pick("長さ（cm）", "Length (cm)"), spec.lengthCm) { v in items[code]?.powered = with(spec) { $0.lengthCm = v } }
        number(env.pick("高さ（cm）", "Height (cm)"), spec.heightCm) { v in items[code]?.powered = with(spec) { $0.heightCm = v } }
        number(env.pick("重さ（kg）", "Weight (kg)"), spec.weightKg) { v in items[code]?.powered = with(spec) { $0.weightKg = v } }
    }

    private func number(_ label: String, _ value: UInt32, set: @escaping (UInt32) -> Void) -> some View {
        TextField(label, text: Binding(get: { value == 0 ? "" : String(value) }, set: { set(UInt32($0) ?? 0) }))
            .keyboardType(.numberPad)
    }

    private func with(_ spec: PoweredSpec, _ change: (inout PoweredSpec) -> Void) -> PoweredSpec {
        var s = spec
        change(&s)
        return s
    }

    private func save() {
        do {
            let ordered = choices.compactMap { items[$0.code] }
            try env.wallet.setSupportProfile(profile: SupportProfile(items: ordered, note: note.isEmpty ? nil : note))
            message = env.pick("保存しました", "Saved")
        } catch {
            message = error.localizedDescription
        }
    }
}

/// Photographs of a handbook's pages: add from the photo library (the core removes metadata),
/// tap to enlarge, remove. NOT COMPILED HERE.
struct PagesView: View {
    @EnvironmentObject private var env: AppEnvironment
    let handbookId: String
    @State private var count: UInt32 = 0
    @State private var enlarged: UInt32?
    @State private var item: PhotosPickerItem?
    @State private var message: String?

    var body: some View {
        List {
            if let message { Text(message) }
            ForEach(0..<Int(count), id: \.self) { i in
                let n = UInt32(i)
                if let data = try? env.wallet.page(handbookId: handbookId, index: n),
                   let image = UIImage(data: data.bytes) {
                    Image(uiImage: image).resizable().scaledToFit()
                        .rotationEffect(.degrees(Double(data.rotation)))
                        .frame(maxHeight: enlarged == n ? 560 : 160)
                        .onTapGesture { enlarged = enlarged == n ? nil : n }
                        .accessibilityLabel(env.pick("\(i + 1)ページ目", "Page \(i + 1)"))
                    Button(env.pick("\(i + 1)ページ目を削除", "Remove page \(i + 1)"), role: .destructive) {
                        count = (try? env.wallet.removePage(handbookId: handbookId, index: n)) ?? count
                    }
                }
            }
            PhotosPicker(env.pick("ページの写真を追加", "Add a photo of a page"), selection: $item, matching: .images)
        }
        .navigationTitle(env.pick("手帳のページ画像", "Handbook page images"))
        .onAppear { count = (try? env.wallet.pageCount(handbookId: handbookId)) ?? 0 }
        .onChange(of: item) { _, picked in
            Task {
                guard let bytes = try? await picked?.loadTransferable(type: Data.self) else { return }
                do {
                    count = try env.wallet.addPage(handbookId: handbookId, image: bytes)
                } catch {
                    message = error.localizedDescription
                }
            }
        }
    }
}
