import { mount } from "svelte";
import "./styles.css";
import App from "./App.svelte";
import { tauriPlatform } from "./platform/tauri";

const target = document.getElementById("app");
if (target) mount(App, { target, props: { platform: tauriPlatform } });
