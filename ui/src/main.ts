import { mount } from "svelte";
import { getCurrentWindow } from "@tauri-apps/api/window";
import "./styles.css";
import App from "./App.svelte";
import DownloadPrompt from "./components/DownloadPrompt.svelte";
import { downloadPromptId } from "./lib/route";
import { tauriPlatform } from "./platform/tauri";
import { startMark } from "./lib/startMarks";

startMark("script");

const target = document.getElementById("app");
if (target) {
  const id = downloadPromptId(getCurrentWindow().label);
  if (id !== null) mount(DownloadPrompt, { target, props: { platform: tauriPlatform, id } });
  else mount(App, { target, props: { platform: tauriPlatform } });
}
