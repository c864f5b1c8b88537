//! The command-line grammar (clap). Completions and the man page are generated from it.

use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Exit codes, shown in `skyport --help` and the man page.
pub const EXIT_CODES: &str = "\
Exit codes:
  0    success
  1    failure (not found, rejected by the platform, quota reached, ...)
  2    usage error (unknown flag, bad value, a confirmation that needs --force)
  3    sign-in needed (no credential, or the platform or service refused it)
  4    platform unreachable, unavailable (HTTP 503) or too slow (timeout)
  5    certificate problem (missing, expired or not usable)
  6    the OS keyring is not available
  130  cancelled (Ctrl-C, or a confirmation answered no)

Environment:
  SKYPORT_URL      platform service URL (https://host/skaha or .../skaha/v1); wins over profiles
  SKYPORT_TOKEN    bearer token to use, with no config or keyring at all
  SKYPORT_PROFILE  profile to use (like --profile)
  SKYPORT_HOME     keep every Skyport file (config, logs, .ssl) under this directory
  SKYPORT_BROWSER  command that opens URLs instead of the system browser
  SKYPORT_LOG      log filter for -v (e.g. debug)
  NETRC            netrc file to read instead of ~/.netrc

Data goes to standard output, messages to standard error. --json gives machine-readable
output on every listing command (shapes in the README).";

#[derive(Debug, Parser)]
#[command(
    name = "skyport",
    version,
    about = "Manage your science-platform (CANFAR Skaha) sessions and credentials from a shell",
    long_about = "Manage your science-platform (CANFAR Skaha) sessions and credentials from a shell.\n\n\
        skyport shares its profiles (config.toml), keyring entries and certificate \
        (~/.ssl/cadcproxy.pem) with the Skyport desktop app: signing in with one signs in the other.\n\n\
        Examples:\n  \
        skyport login --password -u alice          sign in with a CADC username and password\n  \
        skyport ps                                 your pending and running sessions\n  \
        skyport create notebook skaha/astroml      start a notebook (image normalised)\n  \
        skyport create headless skaha/astroml -- python fit.py --fast\n  \
        skyport open k3x9q2ab                      wait for it and open it in the browser\n  \
        skyport renew k3x9q2ab                     push its expiry back\n  \
        skyport delete k3x9q2ab --force\n  \
        SKYPORT_URL=https://ws-uv.canfar.net/skaha SKYPORT_TOKEN=... skyport ps --json",
    after_help = EXIT_CODES,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Profile (platform) to use instead of the active one.
    #[arg(long, global = true, env = "SKYPORT_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Machine-readable JSON on standard output (listing and status commands).
    #[arg(long, global = true)]
    pub json: bool,

    /// Log what happens to standard error (and the log folder); repeat for more (-vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Give up on a request after SECS seconds (default 30).
    #[arg(long, global = true, value_name = "SECS", value_parser = parse_secs)]
    pub timeout: Option<f64>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in (browser by default; --device, --password or --token).
    #[command(after_help = "Examples:\n  skyport login --password -u alice\n  \
        echo \"$PASSWORD\" | skyport login --password-stdin -u alice --remember-password\n  \
        skyport login --token            (paste a token; it is not echoed)")]
    Login(LoginArgs),
    /// Sign out: remove this profile's saved token, sign-in tokens and password.
    Logout,
    /// Credential status.
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// The X.509 certificate (~/.ssl/cadcproxy.pem): status, obtain, renew.
    Cert {
        #[command(subcommand)]
        command: CertCommand,
    },
    /// List sessions (pending and running unless -a).
    #[command(
        after_help = "Examples:\n  skyport ps\n  skyport ps -a -k headless\n  \
        skyport ps -q | xargs skyport renew\n  skyport ps --json"
    )]
    Ps(PsArgs),
    /// Start a session: KIND IMAGE [-- CMD ARGS...].
    #[command(
        visible_alias = "launch",
        after_help = "Examples:\n  skyport create notebook skaha/astroml\n  \
            skyport create desktop images.canfar.net/skaha/desktop:latest -n mydesk\n  \
            skyport create headless skaha/astroml -c 4 -m 16 -e MODE=fast -r 3 -- python fit.py\n  \
            skyport create notebook skaha/astroml --dry-run"
    )]
    Create(CreateArgs),
    /// Show sessions in detail.
    Info(IdsArgs),
    /// List a folder of your storage (/arc): arc:/home/USER/FOLDER; your home when none.
    #[command(
        after_help = "Examples:\n  skyport ls\n  skyport ls arc:/home/alice/data\n  \
        skyport ls -a arc:/projects/survey --json\n  skyport ls swesrc:/home/alice   (another platform's storage)\n\n\
        SKYPORT_STORAGE_URL sets the storage's nodes URL for scripts."
    )]
    Ls(LsArgs),
    /// How full your home (or a project folder) is in your storage.
    #[command(
        after_help = "Examples:\n  skyport quota\n  skyport quota arc:/projects/survey --json"
    )]
    Quota(QuotaArgs),
    /// Copy files between this computer and your storage (either way; -r for folders).
    #[command(
        after_help = "Examples:\n  skyport cp cube.fits arc:/home/alice/data/\n  \
        skyport cp arc:/home/alice/results/fit.csv .\n  \
        skyport cp -r arc:/home/alice/run42 ./run42     (run again to resume: files already\n  \
                                                    there, checked by MD5, are skipped)\n  \
        skyport cp a.fits b.fits arc:/projects/survey/raw\n\n\
        Storage paths are written arc:/home/USER/… (the platform in use) or PROFILE:/…;\n\
        anything else is a path on this computer. A copy is checked by MD5 both ways;\n\
        a file copied down replaces one of the same name, as cp does."
    )]
    Cp(CpArgs),
    /// Move or rename within your storage.
    #[command(
        after_help = "Examples:\n  skyport mv arc:/home/alice/a.fits arc:/home/alice/old/\n  \
        skyport mv arc:/home/alice/run1 arc:/home/alice/run1-final"
    )]
    Mv(MvArgs),
    /// Delete files (and, with -d, empty folders) in your storage.
    #[command(after_help = "Examples:\n  skyport rm arc:/home/alice/old.fits\n  \
        skyport rm -d arc:/home/alice/empty-folder\n\n\
        There is no recursive delete: CANFAR's storage does not delete a folder with its\n\
        contents, so neither does Skyport. Empty the folder first.")]
    Rm(RmArgs),
    /// Make folders in your storage (-p: with their parents, and no error if they exist).
    #[command(after_help = "Examples:\n  skyport mkdir arc:/home/alice/run42\n  \
        skyport mkdir -p arc:/home/alice/a/b/c")]
    Mkdir(MkdirArgs),
    /// Print a session's logs (-f to follow).
    Logs(LogsArgs),
    /// Print a session's events (scheduling, image pulls, failures).
    Events(IdsArgs),
    /// Saved launches: list, save, remove; and the recent launches.
    Presets {
        #[command(subcommand)]
        command: PresetsCommand,
    },
    /// Why a session is still Pending (or failed), in one sentence, with the next step.
    #[command(after_help = "Examples:\n  skyport why k3x9q2ab\n  \
        skyport ps -q -s pending | xargs skyport why\n  skyport why k3x9q2ab --json")]
    Why(IdsArgs),
    /// Open a session in the web browser, waiting until it runs.
    Open(OpenArgs),
    /// Push sessions' expiry back.
    Renew(IdsArgs),
    /// Delete sessions (asks first unless --force).
    #[command(visible_alias = "del")]
    Delete(DeleteArgs),
    /// Delete every session whose name starts with PREFIX (of KIND, in STATUS).
    #[command(
        after_help = "KIND defaults to headless and STATUS to Completed; `any` matches all.\n\n\
        Examples:\n  skyport prune fit-                     finished headless jobs named fit-*\n  \
        skyport prune fit- headless any --dry-run\n  \
        skyport prune '^run-[0-9]+$' --regex --force"
    )]
    Prune(PruneArgs),
    /// Platform load: cores and RAM requested versus available.
    Stats,
    /// Container images you can launch.
    Images(ImagesArgs),
    /// The platforms the registries list (CANFAR's and SRCNet's by default), and whether
    /// each answers.
    #[command(
        after_help = "Examples:\n  skyport platforms\n  skyport platforms --registry https://spsrc27.iaa.csic.es/reg/resource-caps --json\n\nAdd one with `skyport profiles add NAME --srcnet NAME` or `--discover ivo://ID`."
    )]
    Platforms(PlatformsArgs),
    /// Profiles (platforms): list, use, add, remove.
    Profiles {
        #[command(subcommand)]
        command: ProfilesCommand,
    },
    /// The configuration file: path, show, get, set, unset.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print a shell completion script (bash, zsh or fish).
    #[command(
        after_help = "Examples:\n  skyport completions bash > ~/.local/share/bash-completion/completions/skyport\n  \
        skyport completions zsh > ~/.zfunc/_skyport\n  \
        skyport completions fish > ~/.config/fish/completions/skyport.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// What a VO service asks for (its challenges), and which credential would be sent.
    #[command(
        after_help = "Examples:\n  skyport probe https://ws-uv.canfar.net/arc/capabilities\n  skyport probe https://gea.esac.esa.int/tap-server/tap --json"
    )]
    Probe(ProbeArgs),
    /// Fetch a URL with the credential bound to it (streamed; progress on a terminal).
    #[command(
        after_help = "Examples:\n  skyport curl https://ws-uv.canfar.net/skaha/v1/session\n  \
        skyport curl https://tap.example.org/tap/sync -d 'QUERY=SELECT TOP 1 * FROM t' -o out.vot\n  \
        skyport curl -X DELETE https://service.example.org/item/7\n\n\
        The credential is the one bound to the URL's origin (`skyport credentials list`); it never\n\
        follows a redirect to another origin, and goes only over https (loopback excepted)."
    )]
    Curl(CurlArgs),
    /// Print a fresh access token of a platform's sign-in, for scripts (refreshed when due).
    #[command(
        after_help = "Example:\n  curl -H \"Authorization: Bearer $(skyport token)\" https://ws-uv.canfar.net/skaha/v1/session"
    )]
    Token,
    /// Credentials for VO services: list, add, remove.
    Credentials {
        #[command(subcommand)]
        command: CredentialsCommand,
    },
    /// Print the man page (roff), of skyport or of one command.
    #[command(after_help = "Example:\n  skyport man | man -l -\n  skyport man ps > skyport-ps.1")]
    Man {
        /// A command, for its own page.
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The service's URL (its /capabilities is a good one to ask).
    pub url: String,
    /// Also trust this CA (PEM), e.g. a local deployment's.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CurlArgs {
    pub url: String,
    /// The method (default GET, or POST with -d).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,
    /// Send DATA as the body (POST unless -X says otherwise); @FILE reads a file, @- standard input.
    #[arg(short = 'd', long = "data", value_name = "DATA")]
    pub data: Option<String>,
    /// An extra header, "Name: value" (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Write the body to FILE (complete, or not at all) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Also trust this CA (PEM), e.g. a local deployment's.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Every credential: kind, where it may be sent, expiry, where it is kept.
    #[command(visible_alias = "ls")]
    List,
    /// Add a credential, bound to the places given with --origin.
    #[command(
        after_help = "KIND: certificate, oidc, cadc-token, bearer, basic, basic-token, cookie, ssh-jwt, anonymous.\n\n\
        Examples:\n  echo \"$TOKEN\" | skyport credentials add bearer --origin https://tap.example.org --token-stdin\n  \
        skyport credentials add basic --origin https://data.example.org --username ada\n  \
        skyport credentials add cookie --origin https://gea.esac.esa.int/tap-server --username ada\n  \
        skyport credentials add ssh-jwt --origin https://unicore.example.org --username ada --identity ~/.ssh/id_ed25519\n  \
        skyport credentials add certificate --origin 'https://*.canfar.net' --identity ~/.ssl/cadcproxy.pem\n  \
        skyport credentials add oidc --issuer https://ska-iam.stfc.ac.uk/ --origin https://data.example.org\n  \
        skyport credentials add anonymous --origin https://public.example.org"
    )]
    Add(CredentialAddArgs),
    /// Remove a credential and its keyring entries.
    #[command(visible_alias = "rm")]
    Remove {
        /// Its id (`skyport credentials list`).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct CredentialAddArgs {
    /// The kind of credential.
    #[arg(value_parser = PossibleValuesParser::new(["certificate", "oidc", "cadc-token", "bearer", "basic", "basic-token", "cookie", "ssh-jwt", "anonymous"]))]
    pub kind: String,
    /// Where it may be sent: https://host[:port][/path], or https://*.domain (repeatable).
    #[arg(long, value_name = "URL", required = true)]
    pub origin: Vec<String>,
    #[arg(short, long)]
    pub username: Option<String>,
    /// Read the password from standard input (else it is asked).
    #[arg(long)]
    pub password_stdin: bool,
    /// Read the token from standard input (else it is asked).
    #[arg(long)]
    pub token_stdin: bool,
    /// The file: the certificate (PEM) or the SSH private key.
    #[arg(long, value_name = "FILE")]
    pub identity: Option<std::path::PathBuf>,
    /// Where to log in (cookie, cadc-token); found by probing the first origin when not given.
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,
    /// The OpenID provider (oidc): your sign-in there, on a platform of yours, is what goes.
    #[arg(long, value_name = "URL", conflicts_with = "login_url")]
    pub issuer: Option<String>,
    /// Keep the SSH key's passphrase in the keyring, read from standard input.
    #[arg(long)]
    pub passphrase_stdin: bool,
    /// Its id (default: the kind and the host).
    #[arg(long, value_name = "ID")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Sign in on another device (prints a code to enter in a browser).
    #[arg(long, conflicts_with_all = ["password", "token"])]
    pub device: bool,
    /// CADC-style sign-in with a username and password (prompted without echo).
    #[arg(long)]
    pub password: bool,
    /// Read the password from standard input (for scripts; implies --password).
    #[arg(long, conflicts_with_all = ["token", "device"])]
    pub password_stdin: bool,
    /// Username for --password (default: the profile's, else asked).
    #[arg(short, long, value_name = "USER")]
    pub username: Option<String>,
    /// Keep the password in the keyring so the certificate can be renewed unattended.
    #[arg(long)]
    pub remember_password: bool,
    /// Login URL for --password (default: the profile's, else /ac/login on the platform).
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,
    /// Paste a bearer token (prompted without echo).
    #[arg(long, conflicts_with = "password")]
    pub token: bool,
    /// Read the token from standard input (implies --token).
    #[arg(long, conflicts_with_all = ["password", "password_stdin", "device"])]
    pub token_stdin: bool,
    /// Save the token without checking it against the platform first.
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Which profile, platform and credential skyport would use now.
    Status {
        /// Also ask the platform whether it accepts the credential.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Path, subject, issuer, validity and time left (exit 5 when missing or expired).
    Status,
    /// Get a new certificate with your username and password (or ~/.netrc).
    #[command(after_help = "Examples:\n  skyport cert obtain -u alice\n  \
        skyport cert obtain --netrc --days 30\n  \
        echo \"$PASSWORD\" | skyport cert obtain -u alice --password-stdin")]
    Obtain(ObtainArgs),
    /// Renew the certificate with a saved password, ~/.netrc, your sign-in, or a prompt.
    Renew(RenewArgs),
}

#[derive(Debug, Args)]
pub struct ObtainArgs {
    /// Username (default: the profile's, else asked).
    #[arg(short, long, value_name = "USER")]
    pub username: Option<String>,
    /// Read the password from standard input.
    #[arg(long, conflicts_with_all = ["netrc", "netrc_file"])]
    pub password_stdin: bool,
    /// Take username and password from ~/.netrc (the entry for the credential service's host).
    #[arg(short = 'n', long)]
    pub netrc: bool,
    /// Take username and password from this netrc file.
    #[arg(long, value_name = "FILE")]
    pub netrc_file: Option<PathBuf>,
    /// Keep the password in the keyring for unattended renewal.
    #[arg(long)]
    pub remember_password: bool,
    #[command(flatten)]
    pub common: CertCommon,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    #[command(flatten)]
    pub common: CertCommon,
}

#[derive(Debug, Args)]
pub struct CertCommon {
    /// Lifetime in days (the service may cap it).
    #[arg(long, value_name = "N", default_value_t = 10.0, value_parser = parse_days)]
    pub days: f64,
    /// Credential service (default: the profile's, else /cred/generate on the platform).
    #[arg(long, value_name = "URL")]
    pub cred_url: Option<String>,
    /// Where to save it (default: the profile's certificate, ~/.ssl/cadcproxy.pem).
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Kinds a session list can be filtered by.
pub const LIST_KINDS: [&str; 7] = [
    "notebook",
    "desktop",
    "carta",
    "firefly",
    "contributed",
    "headless",
    "desktop-app",
];
/// Kinds that can be launched.
pub const LAUNCH_KINDS: [&str; 6] = [
    "notebook",
    "desktop",
    "carta",
    "firefly",
    "contributed",
    "headless",
];
pub const STATUSES: [&str; 5] = ["pending", "running", "terminating", "completed", "failed"];

#[derive(Debug, Args)]
pub struct PsArgs {
    /// All sessions, including finished ones.
    #[arg(short, long)]
    pub all: bool,
    /// Only the session ids, one per line.
    #[arg(short, long)]
    pub quiet: bool,
    /// Only sessions of this kind.
    #[arg(short, long, value_parser = PossibleValuesParser::new(LIST_KINDS), ignore_case = true)]
    pub kind: Option<String>,
    /// Only sessions in this status (implies -a).
    #[arg(short, long, value_parser = PossibleValuesParser::new(STATUSES), ignore_case = true)]
    pub status: Option<String>,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// The folder: arc:/home/USER/… (the profile in use's storage) or PROFILE:/…
    pub target: Option<String>,
    /// Hidden files too (names starting with a dot).
    #[arg(short, long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct CpArgs {
    /// What to copy, then where: SOURCE... DESTINATION.
    #[arg(required = true, num_args = 2.., value_name = "PATH")]
    pub paths: Vec<String>,
    /// Copy folders with everything in them.
    #[arg(short = 'r', short_alias = 'R', long)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct MvArgs {
    /// The file or folder: arc:/home/USER/…
    pub source: String,
    /// Its new name, or a folder to move it into.
    pub destination: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// What to delete: arc:/home/USER/…
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Delete empty folders too.
    #[arg(short = 'd', long)]
    pub dir: bool,
    /// Refused: CANFAR's storage deletes no folder with its contents.
    #[arg(short = 'r', short_alias = 'R', long, hide = true)]
    pub recursive: bool,
}

#[derive(Debug, Args)]
pub struct MkdirArgs {
    /// The folders: arc:/home/USER/…
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Make parent folders as needed; no error when a folder exists.
    #[arg(short, long)]
    pub parents: bool,
}

#[derive(Debug, Args)]
pub struct QuotaArgs {
    /// A folder in the allocation: arc:/home/USER or arc:/projects/GROUP (your home when none).
    pub target: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub launch: LaunchArgs,
    /// Start from a saved preset (`skyport presets list`): KIND and IMAGE may then be left
    /// out, and every option given here overrides the preset's.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Read the registry secret from standard input.
    #[arg(long)]
    pub registry_secret_stdin: bool,
    /// Print the requests that would be sent, and start nothing (it still reads the
    /// registry list and your session names to fill in the defaults).
    #[arg(long)]
    pub dry_run: bool,
}

/// What a launch asks for: `create`'s and `presets save`'s arguments.
#[derive(Debug, Args)]
pub struct LaunchArgs {
    /// Session kind (the preset's with `create --preset`).
    #[arg(value_parser = PossibleValuesParser::new(LAUNCH_KINDS), ignore_case = true)]
    pub kind: Option<String>,
    /// Image: registry/project/name:tag, or project/name (registry and :latest added); the
    /// preset's with `create --preset`.
    pub image: Option<String>,
    /// Command and arguments for a headless session, after `--`.
    #[arg(last = true, value_name = "CMD")]
    pub cmd: Vec<String>,
    /// Session name (default: KIND and the first free number, e.g. notebook1).
    #[arg(short, long)]
    pub name: Option<String>,
    /// CPU cores (fixed resources; default: the platform's flexible default).
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub cpu: Option<u32>,
    /// RAM in GB (fixed resources).
    #[arg(short, long, value_name = "GB", value_parser = clap::value_parser!(u32).range(1..=512))]
    pub memory: Option<u32>,
    /// GPUs.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=28))]
    pub gpu: Option<u32>,
    /// Environment variable for a headless session, KEY=VALUE (repeatable).
    #[arg(short, long, value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, String)>,
    /// The image registry's username, for a private image (its secret is asked, or read
    /// with --registry-secret-stdin). Without it, a username-and-password credential bound
    /// to the registry (`skyport credentials add basic --origin https://REGISTRY`) is used.
    #[arg(long, value_name = "USER")]
    pub registry_user: Option<String>,
    /// How many copies (names NAME-1..NAME-N; REPLICA_ID and REPLICA_COUNT set); default 1.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=512))]
    pub replicas: Option<u32>,
    /// Keep the sessions alive up to DAYS days: the Skyport app renews them while it runs,
    /// when less than a day is left (the rule is written where the app reads it).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=30))]
    pub keep_alive: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum PresetsCommand {
    /// The presets of the profile in use (and those for any platform).
    #[command(visible_alias = "ls")]
    List,
    /// Save a launch under NAME: KIND IMAGE and `create`'s options.
    #[command(
        after_help = "Examples:\n  skyport presets save fit headless skaha/astroml -c 4 -m 16 -r 10 -- python fit.py\n  \
        skyport create --preset fit\n  skyport create --preset fit -r 20 --dry-run"
    )]
    Save {
        /// The preset's name.
        #[arg(id = "preset", value_name = "NAME", value_parser = parse_preset_name)]
        name: String,
        #[command(flatten)]
        launch: LaunchArgs,
        /// Offer it on every platform, not only the one in use.
        #[arg(long)]
        any_platform: bool,
    },
    /// Remove the preset NAME.
    #[command(visible_alias = "rm")]
    Remove {
        #[arg(value_parser = parse_preset_name)]
        name: String,
    },
    /// The last launches made from this machine on the profile in use.
    Recent,
}

fn parse_preset_name(s: &str) -> Result<String, String> {
    skyport_core::presets::validate_preset_name(s)
        .map(|()| s.to_string())
        .map_err(|e| e.to_string())
}

#[derive(Debug, Args)]
pub struct IdsArgs {
    /// Session ids (from `skyport ps`).
    #[arg(required = true, value_name = "ID", value_parser = parse_id)]
    pub ids: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Session id.
    #[arg(value_name = "ID", value_parser = parse_id)]
    pub id: String,
    /// Keep printing new output until the session ends (Ctrl-C to stop).
    #[arg(short, long)]
    pub follow: bool,
    /// Seconds between polls with --follow.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = parse_secs)]
    pub interval: f64,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Session id.
    #[arg(value_name = "ID", value_parser = parse_id)]
    pub id: String,
    /// Wait at most SECS seconds for the session to run (0: do not wait).
    #[arg(long, value_name = "SECS", default_value_t = 120.0, value_parser = parse_secs_or_zero)]
    pub wait: f64,
    /// Only print the URL; do not start a browser.
    #[arg(long)]
    pub no_browser: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Session ids.
    #[arg(required = true, value_name = "ID", value_parser = parse_id)]
    pub ids: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Name prefix (or a regular expression with --regex).
    pub prefix: String,
    /// Kind to prune, or `any`.
    #[arg(default_value = "headless", value_parser = PossibleValuesParser::new(["notebook", "desktop", "carta", "firefly", "contributed", "headless", "desktop-app", "any"]), ignore_case = true)]
    pub kind: String,
    /// Status to prune, or `any`.
    #[arg(default_value = "completed", value_parser = PossibleValuesParser::new(["pending", "running", "terminating", "completed", "failed", "any"]), ignore_case = true)]
    pub status: String,
    /// PREFIX is a regular expression matched against the name.
    #[arg(long)]
    pub regex: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Show what would be deleted, and delete nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Only images for this kind.
    #[arg(short, long, value_parser = PossibleValuesParser::new(LIST_KINDS), ignore_case = true)]
    pub kind: Option<String>,
    /// Only the image ids, one per line.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct PlatformsArgs {
    /// A registry's resource-caps URL to read instead of the default ones (repeatable).
    #[arg(long, value_name = "URL")]
    pub registry: Vec<String>,
    /// Also list development and test deployments.
    #[arg(long)]
    pub dev: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfilesCommand {
    /// List profiles (* marks the active one) and who is signed in on each.
    #[command(visible_alias = "ls")]
    List {
        /// Also check each platform's services and whether it takes your credential.
        #[arg(long)]
        check: bool,
    },
    /// Show a profile under another name in the app (empty: its key again).
    Rename { name: String, display_name: String },
    /// Make profiles of the `canfar` client's servers (~/.canfar/config.yaml, never changed).
    #[command(name = "import-canfar")]
    ImportCanfar {
        /// Another file than ~/.canfar/config.yaml.
        #[arg(long, value_name = "FILE")]
        path: Option<std::path::PathBuf>,
        /// Also copy its access tokens into the OS keyring (the file keeps its copy; its refresh
        /// tokens stay the canfar client's own).
        #[arg(long)]
        tokens: bool,
        /// Show what would be imported, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Make NAME the active profile (for the app too).
    Use { name: String },
    /// Add or update a profile.
    #[command(
        after_help = "Examples:\n  skyport profiles add canfar --discover ivo://cadc.nrc.ca/skaha\n  \
        skyport profiles add swe --srcnet sweSRC\n  \
        skyport profiles add mine --discover https://skaha.example.org/skaha\n  \
        skyport profiles add canfar https://ws-uv.canfar.net/skaha \\\n      \
        --login-url https://ws-cadc.canfar.net/ac/login --cred-url https://ws-cadc.canfar.net/cred/generate"
    )]
    Add(Box<ProfileAddArgs>),
    /// Remove a profile and its saved secrets.
    #[command(visible_alias = "rm")]
    Remove { name: String },
}

#[derive(Debug, Args)]
pub struct ProfileAddArgs {
    /// Profile name (letters, digits, '-' and '_').
    pub name: String,
    /// Skaha service URL, https://host/skaha (or .../skaha/v1), taken as it is.
    #[arg(required_unless_present_any = ["discover", "srcnet"], conflicts_with_all = ["discover", "srcnet"])]
    pub url: Option<String>,
    /// Find the platform's services: a service URL (read through its /capabilities) or an
    /// ivo:// id (looked up in the registry).
    #[arg(long, value_name = "URL|ID", conflicts_with = "srcnet")]
    pub discover: Option<String>,
    /// The registry for an ivo:// id (default: CANFAR's).
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    /// An SRCNet node by name (see `skyport platforms`), e.g. sweSRC.
    #[arg(long, value_name = "NODE")]
    pub srcnet: Option<String>,
    /// Shown in the app.
    #[arg(long)]
    pub display_name: Option<String>,
    /// CADC-style password login URL (…/ac/login).
    #[arg(long, value_name = "URL")]
    pub login_url: Option<String>,
    /// Credential service issuing certificates (…/cred/generate).
    #[arg(long, value_name = "URL")]
    pub cred_url: Option<String>,
    /// OpenID Connect issuer for browser sign-in.
    #[arg(long, value_name = "URL")]
    pub oidc_issuer: Option<String>,
    /// OIDC client id (omit to register dynamically).
    #[arg(long, requires = "oidc_issuer")]
    pub client_id: Option<String>,
    /// Your username on this platform.
    #[arg(long)]
    pub username: Option<String>,
    /// Extra CA certificates (PEM) to trust for this platform.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Certificate file (default ~/.ssl/cadcproxy.pem).
    #[arg(long, value_name = "FILE")]
    pub cert_path: Option<PathBuf>,
    /// Make it the active profile.
    #[arg(long = "use")]
    pub make_active: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the configuration file's path.
    Path,
    /// Print the whole configuration (it never holds secrets).
    Show,
    /// Print one setting, e.g. `active` or `profiles.canfar.url`.
    Get { key: String },
    /// Change one setting, e.g. `skyport config set profiles.canfar.username alice`.
    Set { key: String, value: String },
    /// Remove one setting, e.g. `skyport config unset profiles.canfar.login_url`.
    Unset { key: String },
}

fn parse_secs(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 86400"
        )),
    }
}

fn parse_secs_or_zero(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(0.0) => Ok(0.0),
        _ => parse_secs(s),
    }
}

fn parse_days(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3650.0 => Ok(v),
        _ => Err(format!("{s:?} is not a positive number of days")),
    }
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    let Some((k, v)) = s.split_once('=') else {
        return Err(format!("{s:?} is not KEY=VALUE"));
    };
    let k = k.trim();
    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!(
            "{k:?} is not a valid variable name (letters, digits and '_')"
        ));
    }
    if v.contains('=') {
        return Err(format!(
            "the value of {k} contains '=', which the platform cannot pass on"
        ));
    }
    Ok((k.to_string(), v.to_string()))
}

fn parse_id(s: &str) -> Result<String, String> {
    skyport_core::skaha::SessionId::parse(s)
        .map(|id| id.0)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn value_parsers() {
        assert!(parse_env("A=b").is_ok());
        assert!(parse_env("A").is_err());
        assert!(parse_env("A=b=c").is_err());
        assert!(parse_env("bad name=x").is_err());
        assert!(parse_secs("0").is_err());
        assert!(parse_secs_or_zero("0").is_ok());
        assert!(parse_secs("nan").is_err());
        assert!(parse_days("10").is_ok());
        assert!(parse_id("k3x9q2ab").is_ok());
        assert!(parse_id("../etc").is_err());
    }
}
