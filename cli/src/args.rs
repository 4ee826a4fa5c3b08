//! Command-line arguments (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "techo",
    version,
    about = "Techo: a phone wallet for Japan's disability handbooks (障害者手帳)"
)]
pub struct Cli {
    /// Where the wallet keeps its encrypted store and key (default: the platform data dir).
    #[arg(long, global = true, env = "TECHO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    /// Language of human output.
    #[arg(long, global = true, value_enum, default_value_t = LangArg::Ja)]
    pub lang: LangArg,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Ja,
    En,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register a handbook from a TOML file or from flags (flags override the file).
    Register(Box<RegisterArgs>),
    /// List the registered handbooks.
    List,
    /// Show one handbook (id or unique id prefix).
    Show { id: String },
    /// Choose the handbook shown at the counter.
    Select { id: String },
    /// Withdraw a handbook that was returned or replaced (deletes it and its photo).
    Withdraw { id: String },
    /// Check, export or reset the encrypted store.
    #[command(subcommand)]
    Store(StoreCommand),
    /// The holder's support profile: equipment, assistance dog, communication, help wanted
    /// (self-declared).
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Photographed handbook pages (enlarged on the counter screen).
    #[command(subcommand)]
    Pages(PagesCommand),
    /// Coupons usable with a handbook, with their terms (from the offline operator directory).
    Coupons {
        /// Handbook id (default: the counter one).
        id: Option<String>,
    },
    /// Where a handbook is accepted and what it gets there (the operator directory, offline).
    Places(PlacesCmd),
    /// The consent ledger: who received what from a handbook, and when (withdraw the issuer's
    /// consent with `techo unlink`).
    Ledger {
        /// Handbook id (default: the counter one).
        id: Option<String>,
    },
    /// Show the counter QR code (a display token signed for the current 30-second step).
    Present(PresentCmd),
    /// Verify a presentation, as a gate or counter would, offline. Exit 0 only when valid.
    Verify(VerifyCmd),
    /// Fetch or refresh a verifier's trust and status lists from techo-server (one signed
    /// delta per list when possible), saved for `techo verify --lists`.
    Lists {
        /// The endpoints file techo-server wrote (or TECHO_ENDPOINTS).
        #[arg(long, env = "TECHO_ENDPOINTS")]
        endpoints: PathBuf,
        /// Where the lists are kept (default: verifier-lists.cbor in the data folder).
        #[arg(long)]
        file: Option<PathBuf>,
        /// The Techo root public key (hex) to pin; default: the one the file pinned, or on
        /// first use the server's (printed, to check against the published key).
        #[arg(long)]
        root: Option<String>,
    },
    /// The local development issuer (until linkage through the portal lands).
    #[command(subcommand)]
    Issuer(IssuerCommand),
    /// Link a handbook to the portal with the holder's card (needs a running techo-server).
    Link(LinkCmd),
    /// Answer a booking site as the phone would (the link from its QR code or button).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Show (and refresh from techo-server) every handbook's linkage state.
    Status {
        /// One handbook only.
        id: Option<String>,
        /// The endpoints file techo-server wrote (or TECHO_ENDPOINTS); without it, no refresh.
        #[arg(long, env = "TECHO_ENDPOINTS")]
        endpoints: Option<PathBuf>,
        /// Wait until every pending (申請中) linkage is answered, for up to MINUTES (60).
        #[arg(long, requires = "endpoints", num_args = 0..=1, require_equals = true, default_missing_value = "60", value_name = "MINUTES")]
        wait: Option<u32>,
    },
    /// Keep every linkage current without the card, as the phone's periodic job does: ask
    /// about pending linkages whose time has come, renew batches a week before they run out,
    /// warn once before the consent ends. Prints what the phone would notify.
    KeepLinked {
        #[arg(long, env = "TECHO_ENDPOINTS")]
        endpoints: PathBuf,
    },
    /// Withdraw consent: techo-server revokes and purges, the wallet forgets the credentials.
    Unlink {
        id: String,
        #[arg(long, env = "TECHO_ENDPOINTS")]
        endpoints: PathBuf,
    },
    /// Read the My Number card (the software card with --sim).
    #[command(subcommand)]
    Card(CardCommand),
    /// Draw the counter screen to PNG or SVG (the data dir's counter handbook, or a sample).
    Preview(PreviewCmd),
    /// Measure verification and QR generation and print the ratios.
    Bench {
        /// Instead: test whether comparing secret tokens takes longer for closer guesses
        /// (Welch's t over two classes of guesses; exits non-zero on a leak).
        #[arg(long)]
        timing: bool,
        /// Guesses timed per class with --timing.
        #[arg(long, default_value_t = 1_000_000)]
        samples: usize,
    },
    /// Run the main flow on a temporary wallet with the fixture handbooks.
    Demo {
        /// Also keep the linked handbook's presentation and the verifier's lists here, with the
        /// time it was made, for `techo verify --policy` (TECHO_NOW=<presented-at.txt>).
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Keep the booking site up after its part of the demo, answering links pasted on
        /// standard input with the demo's phone, until end of input.
        #[arg(long)]
        serve: bool,
    },
}

#[derive(Debug, Args)]
pub struct PresentCmd {
    /// Handbook id (default: the one chosen for the counter).
    pub id: Option<String>,
    /// Claims to show: kind,fare,caregiver,linkage (default), grade, municipality, expiry, photo.
    #[arg(long)]
    pub disclose: Option<String>,
    /// Also save the QR code as .png or .svg.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A booking site's challenge (hex) ...
    #[arg(long)]
    pub challenge: Option<String>,
    /// ... and the site it is for.
    #[arg(long)]
    pub audience: Option<String>,
    /// Present an operator's coupon with the code: OPERATOR/COUPON (see `techo coupons`). A
    /// coupon goes with the counter claims at a counter: not with --disclose or a challenge.
    #[arg(long, value_name = "OPERATOR/COUPON", conflicts_with_all = ["disclose", "challenge", "audience"])]
    pub coupon: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyCmd {
    /// The payload text (TK1:...), or - to read it from standard input.
    pub payload: Option<String>,
    /// Read the QR code from a PNG image instead.
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// Lists saved by `techo lists` (checked again against the root key they pinned).
    #[arg(long, conflicts_with_all = ["trust_list", "status_list", "root"])]
    pub lists: Option<PathBuf>,
    /// Signed trust list (default: the local development issuer's).
    #[arg(long)]
    pub trust_list: Option<PathBuf>,
    /// Signed status list(s).
    #[arg(long)]
    pub status_list: Vec<PathBuf>,
    /// The Techo root public key (hex) that signs the trust list.
    #[arg(long)]
    pub root: Option<String>,
    /// Oldest status list accepted, in hours.
    #[arg(long, default_value_t = 24)]
    pub max_status_age_hours: i64,
    /// Require this challenge (hex, issued earlier by `--challenge` alone, answered once) ...
    /// With no value: issue a fresh challenge for --audience and print it.
    #[arg(long, num_args = 0..=1, default_missing_value = "new")]
    pub challenge: Option<String>,
    /// ... for this audience (default: the policy's online audience).
    #[arg(long)]
    pub audience: Option<String>,
    /// Judge against an operator policy (fixtures/policies/*.toml): exit 0 accepted,
    /// 1 not accepted, 2 invalid code, 3 check manually.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// The trip's one-way distance in km (the "holder alone over 100 km" rule).
    #[arg(long)]
    pub distance_km: Option<u32>,
    /// Whether a caregiver travels with the holder.
    #[arg(long, value_parser = ["yes", "no"])]
    pub caregiver: Option<String>,
    /// Day of travel, YYYY-MM-DD (default: today in Japan).
    #[arg(long)]
    pub trip_date: Option<String>,
}

#[derive(Debug, Args)]
pub struct PreviewCmd {
    /// screen.png or screen.svg
    #[arg(long, default_value = "screen.png")]
    pub out: PathBuf,
    /// Pixel size: 1170x2532 (default) or 720x1600.
    #[arg(long, default_value = "1170x2532")]
    pub size: String,
    /// The moment to draw (RFC 3339); default now (or TECHO_NOW).
    #[arg(long)]
    pub time: Option<String>,
    #[arg(long)]
    pub reduced_motion: bool,
    /// Text at 1.5× (the platform's large text setting).
    #[arg(long)]
    pub large_text: bool,
    /// Show the photo enlarged.
    #[arg(long)]
    pub enlarge_photo: bool,
    /// Show handbook page image N (1-based) enlarged, as after one tap at the counter.
    #[arg(long, value_name = "N")]
    pub enlarge_page: Option<usize>,
    /// Which handbook (id or prefix; default: the one chosen for the counter).
    #[arg(long)]
    pub handbook: Option<String>,
    /// The code carries this operator's coupon (OPERATOR/COUPON, as `techo coupons` lists),
    /// with the coupon's band, as the counter screen shows it after picking the coupon.
    #[arg(long, value_name = "OPERATOR/COUPON", conflicts_with_all = ["handbook", "enlarge_page"])]
    pub coupon: Option<String>,
}

#[derive(Debug, Args)]
pub struct LinkCmd {
    pub id: String,
    /// The software card folder, e.g. fixtures/cards/yamada.
    #[arg(
        long = "card",
        required_unless_present = "reader",
        conflicts_with = "reader"
    )]
    pub card: Option<PathBuf>,
    /// The real card on a PC/SC reader: `auto` (the first reader holding a card) or part of
    /// the reader's name. Builds with the `pcsc` feature.
    #[arg(long, value_name = "NAME|auto")]
    pub reader: Option<String>,
    /// The endpoints file techo-server wrote (or TECHO_ENDPOINTS).
    #[arg(long, env = "TECHO_ENDPOINTS")]
    pub endpoints: PathBuf,
    /// Read the 4-digit PIN from standard input (or set TECHO_CARD_PIN).
    #[arg(long)]
    pub pin_stdin: bool,
    /// Allow the last PIN try.
    #[arg(long)]
    pub confirm_last_try: bool,
    /// Short APDUs only.
    #[arg(long)]
    pub short: bool,
    /// Credentials in the batch.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Consent as the holder's proxy with the guardian's own card: the holder as the portal's
    /// 代理人メニュー lists them (the portal must have the proxy setting).
    #[arg(long, value_name = "PRINCIPAL")]
    pub on_behalf_of: Option<String>,
    /// If the linkage is 申請中 (the portal is closed), wait for its answer, for up to
    /// MINUTES (60).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "60", value_name = "MINUTES")]
    pub wait: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Follow a site link (`techo://site?request_uri=…`), show what the site asks for, answer it
    /// and print the site's reply. Exit 0 when the site accepted the answer.
    Answer(SiteAnswerCmd),
}

#[derive(Debug, Args)]
pub struct SiteAnswerCmd {
    /// The link from the site's QR code or "open Techo" button.
    pub link: String,
    /// The site's info file (`techo-booking-site --info FILE`) or its CA certificate (PEM).
    #[arg(long, env = "TECHO_SITE_INFO")]
    pub site_info: PathBuf,
    /// The handbook to present (default: the counter one).
    #[arg(long)]
    pub handbook: Option<String>,
    /// Consent to send the name and birth date read from the card, when the site asks.
    #[arg(long)]
    pub identity: bool,
    #[command(flatten)]
    pub card: SiteCardOpts,
    /// Keep a copy of the answer sent (JSON).
    #[arg(long)]
    pub save_response: Option<PathBuf>,
}

/// The card a site answer reads or signs with.
#[derive(Debug, Args)]
pub struct SiteCardOpts {
    /// The software card: read for the name and birth date (--identity), or to sign an order.
    #[arg(long, conflicts_with = "reader")]
    pub card: Option<PathBuf>,
    /// The real card on a PC/SC reader instead: `auto` or part of the reader's name.
    #[arg(long, value_name = "NAME|auto")]
    pub reader: Option<String>,
    /// Read the 4-digit PIN from standard input (or set TECHO_CARD_PIN), for --identity.
    #[arg(long)]
    pub pin_stdin: bool,
    /// Read the signing password from standard input (or set TECHO_SIGNING_PASSWORD).
    #[arg(long)]
    pub signing_password_stdin: bool,
    /// Allow the last PIN or password try.
    #[arg(long)]
    pub confirm_last_try: bool,
}

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Certificate subject, PIN tries left and (with the PIN) the basic four facts.
    Read(CardOpts),
    /// A whole linkage read with a test challenge, every APDU printed (PIN masked).
    Trace(CardOpts),
}

#[derive(Debug, Args)]
pub struct CardOpts {
    /// A software card folder, e.g. fixtures/cards/yamada.
    #[arg(long, required_unless_present = "reader", conflicts_with = "reader")]
    pub sim: Option<PathBuf>,
    /// The real card on a PC/SC reader: `auto` (the first reader holding a card) or part of
    /// the reader's name, e.g. `RC-S380`. Builds with the `pcsc` feature.
    #[arg(long, value_name = "NAME|auto")]
    pub reader: Option<String>,
    /// The JPKI CA certificate (DER) to check a real card's certificate against.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Use short APDUs only (a reader without extended length).
    #[arg(long)]
    pub short: bool,
    /// Read the 4-digit PIN from standard input (or set TECHO_CARD_PIN).
    #[arg(long)]
    pub pin_stdin: bool,
    /// Allow the last PIN try (the card blocks if it is wrong).
    #[arg(long)]
    pub confirm_last_try: bool,
}

#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Create the development issuer (root key, issuer key, status list) in the data dir.
    Init,
    /// Issue a batch of credentials for a registered handbook into this wallet.
    Issue {
        id: String,
        /// Credentials in the batch, each with its own device key and status index.
        #[arg(long, default_value_t = 8)]
        batch: usize,
    },
    /// Revoke everything issued for a handbook.
    Revoke { id: String },
    /// Suspend everything issued for a handbook (phone reported lost).
    Suspend { id: String },
    /// Undo a suspension.
    Reinstate { id: String },
    /// Write the signed trust list, status list and root key for verifiers.
    Publish { dir: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Open every record and report the ones that cannot be read.
    Check {
        /// Repair the damaged records: restored from the store's verified second copy where it
        /// is whole, deleted where it is not, so the rest of the wallet works again.
        #[arg(long, alias = "drop-damaged")]
        repair: bool,
    },
    /// Write every readable handbook (handbooks.json) and photo into a directory.
    Export { dir: PathBuf },
    /// Delete the store and its key. Export first: this cannot be undone.
    Reset {
        /// Confirm the reset.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// A handbook file (see fixtures/handbooks/ for examples).
    #[arg(long = "from", value_name = "FILE")]
    pub from: Option<PathBuf>,
    /// physical / mental / intellectual (身体 / 精神 / 療育)
    #[arg(long)]
    pub kind: Option<String>,
    /// 1–6 (身体) or 1–3 (精神)
    #[arg(long)]
    pub grade: Option<String>,
    /// 療育手帳: the prefecture's label as printed (A, B1, 2度, Ⓐ ...)
    #[arg(long)]
    pub label: Option<String>,
    /// 療育手帳: severe / other, when the label does not say
    #[arg(long)]
    pub severity: Option<String>,
    /// 第1種 / 第2種 / none
    #[arg(long)]
    pub fare_class: Option<String>,
    #[arg(long)]
    pub number: Option<String>,
    #[arg(long)]
    pub municipality_code: Option<String>,
    #[arg(long)]
    pub municipality_name: Option<String>,
    #[arg(long)]
    pub issued: Option<String>,
    #[arg(long)]
    pub renewed: Option<String>,
    #[arg(long)]
    pub reissued: Option<String>,
    #[arg(long)]
    pub returned: Option<String>,
    #[arg(long)]
    pub expires: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub kana: Option<String>,
    #[arg(long)]
    pub birth_date: Option<String>,
    /// JPEG or PNG photo of the holder (at most 2 MB).
    #[arg(long)]
    pub photo: Option<PathBuf>,
    /// A photograph of a handbook page (JPEG or PNG, at most 4 MB; up to 6). Metadata such as
    /// EXIF is removed before it is stored.
    #[arg(long = "page-image", value_name = "FILE")]
    pub page_images: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Replace the profile with a file (see fixtures/profiles/).
    Set {
        #[arg(long = "from", value_name = "FILE")]
        from: PathBuf,
    },
    /// Show the profile, marked self-declared.
    Show,
    /// Remove the profile.
    Clear,
}

#[derive(Debug, Subcommand)]
pub enum PagesCommand {
    /// Add a page image to a handbook (metadata removed before storage).
    Add { id: String, file: PathBuf },
    /// List a handbook's page images.
    List { id: String },
    /// Write page N (1-based) to a file.
    Export { id: String, n: usize, out: PathBuf },
    /// Remove page N (1-based); later pages move up.
    Remove { id: String, n: usize },
}

#[derive(Debug, Args)]
pub struct PlacesCmd {
    /// Update the offline directory from techo-server first.
    #[arg(long)]
    pub sync: bool,
    /// With --sync: accept a root key other than the one this wallet trusted at its first sync
    /// (only when the issuer has announced a new root key).
    #[arg(long, requires = "sync")]
    pub trust_new_root: bool,
    /// The endpoints file techo-server wrote (or TECHO_ENDPOINTS); needed with --sync.
    #[arg(long, env = "TECHO_ENDPOINTS")]
    pub endpoints: Option<PathBuf>,
    /// rail, bus, taxi, ferry, air, venue, shop, online.
    #[arg(long)]
    pub category: Option<String>,
    /// Part of an area name: 東京都, 横浜市 (nationwide operators always match).
    #[arg(long)]
    pub area: Option<String>,
    /// Only places that accept this handbook, with what it gets there (default: the counter one).
    #[arg(long)]
    pub handbook: Option<String>,
    /// List every operator, whatever the handbook.
    #[arg(long)]
    pub all: bool,
    /// Operators accepting this handbook kind: 身体 / 精神 / 療育 (or physical / mental /
    /// intellectual), whatever the wallet holds.
    #[arg(long)]
    pub kind: Option<String>,
    /// Load a signed directory file instead of syncing (a counter set up offline); needs
    /// --trust-list and --root to check it.
    #[arg(long, value_name = "FILE")]
    pub import: Option<PathBuf>,
    #[arg(long, requires = "import")]
    pub trust_list: Option<PathBuf>,
    /// The Techo root public key (hex) that signs the trust list.
    #[arg(long, requires = "import")]
    pub root: Option<String>,
}
