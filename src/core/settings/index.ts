// The "settings" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { SETTING_SCHEMA, checkSetting, settingDefaults } from './settingSchema';
export type { SettingSpec } from './settingSchema';
export { LifeboatSettings } from './settings';
export type { SettingsSource } from './settings';
